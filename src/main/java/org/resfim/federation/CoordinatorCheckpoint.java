package org.resfim.federation;


import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The coordinator's checkpoint of one run, the same for a simulation and a deployment ({@code checkpoint/server/round-R},
 * {@code checkpoint/setup-broadcast/round-0}): the server state after the last complete round and the sites
 * dropped, written atomically, so {@code resfim server --resume} continues exactly there.
 */
public final class CoordinatorCheckpoint {
    private final FileSiteStore store;

    public CoordinatorCheckpoint(Path dir) {
        this.store = new FileSiteStore(dir);
    }

    public int completedRound() {
        List<Integer> r = store.rounds("server");
        return r.isEmpty() ? 0 : r.get(r.size() - 1);
    }

    public void save(int round, ProcedureState server, Set<String> dropped) {
        Map<String, String> meta = new LinkedHashMap<>(server.meta());
        meta.put("coordinator.dropped", String.join(",", dropped));
        store.save("server", round, new ProcedureState(server.states(), meta));
    }

    public ProcedureState serverState(int round) {
        return store.load("server", round);
    }

    public Set<String> dropped() {
        String d = serverState(completedRound()).meta().getOrDefault("coordinator.dropped", "");
        return d.isEmpty() ? Set.of() : new LinkedHashSet<>(List.of(d.split(",")));
    }

    public void saveBroadcast(Message m) {
        store.save("setup-broadcast", 0, new ProcedureState(Map.of("tensors", m.tensors()), Map.of()));
    }

    public Message broadcast() {
        if (store.rounds("setup-broadcast").isEmpty()) {
            return Message.empty();
        }
        return Message.of(store.load("setup-broadcast", 0).states().get("tensors"));
    }
}
