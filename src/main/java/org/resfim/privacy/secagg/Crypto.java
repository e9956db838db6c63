package org.resfim.privacy.secagg;

import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.XECPrivateKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.security.spec.XECPrivateKeySpec;

/**
 * The JDK's primitives as secure aggregation uses them: X25519 key agreement, HMAC-SHA256 as the key-derivation
 * function, AES-256-CTR as the seeded mask generator, AES-256-GCM for the Shamir shares travelling through the server.
 */
final class Crypto {
    private Crypto() {
    }

    static KeyPair x25519(SecureRandom rng) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("X25519");
            g.initialize(NamedParameterSpec.X25519, rng);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("X25519 is not available in this JDK", e);
        }
    }

    static byte[] publicBytes(PublicKey k) {
        return k.getEncoded();
    }

    static PublicKey publicKey(byte[] encoded) {
        try {
            return KeyFactory.getInstance("XDH").generatePublic(new X509EncodedKeySpec(encoded));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an X25519 public key", e);
        }
    }

    /** The 32-byte scalar of an X25519 private key, as a non-negative integer (what is Shamir-shared). */
    static BigInteger scalar(PrivateKey k) {
        byte[] s = ((XECPrivateKey) k).getScalar().orElseThrow();
        return new BigInteger(1, s);
    }

    static PrivateKey privateKey(BigInteger scalar) {
        byte[] raw = scalar.toByteArray();
        byte[] s = new byte[32];
        int n = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - n, s, 32 - n, n);
        try {
            return KeyFactory.getInstance("XDH").generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, s));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an X25519 private key", e);
        }
    }

    static byte[] agree(PrivateKey mine, PublicKey theirs) {
        try {
            KeyAgreement ka = KeyAgreement.getInstance("X25519");
            ka.init(mine);
            ka.doPhase(theirs, true);
            return ka.generateSecret();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("X25519 key agreement failed", e);
        }
    }

    /** HMAC-SHA256(key, label ‖ round): 32 bytes. */
    static byte[] kdf(byte[] key, String label, int round) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(label.getBytes(StandardCharsets.UTF_8));
            mac.update(ByteBuffer.allocate(4).putInt(round).array());
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code n} pseudo-random 64-bit ring elements: AES-256-CTR keystream under {@code seed}, zero counter start. */
    static long[] stream(byte[] seed, int n) {
        try {
            Cipher c = Cipher.getInstance("AES/CTR/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(seed, "AES"), new IvParameterSpec(new byte[16]));
            byte[] ks = c.update(new byte[n * 8]);
            if (ks == null) {
                ks = new byte[0];
            }
            long[] out = new long[n];
            ByteBuffer.wrap(ks).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out, 0, Math.min(n, ks.length / 8));
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] seal(byte[] key, byte[] plain, byte[] aad, SecureRandom rng) {
        try {
            byte[] iv = new byte[12];
            rng.nextBytes(iv);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, iv));
            c.updateAAD(aad);
            byte[] ct = c.doFinal(plain);
            return ByteBuffer.allocate(12 + ct.length).put(iv).put(ct).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] open(byte[] key, byte[] sealed, byte[] aad) {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, sealed, 0, 12));
            c.updateAAD(aad);
            return c.doFinal(sealed, 12, sealed.length - 12);
        } catch (GeneralSecurityException e) {
            throw new SecAggException("a share did not decrypt (tampered with, or not addressed to this site)");
        }
    }
}
