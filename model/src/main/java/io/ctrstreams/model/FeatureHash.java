package io.ctrstreams.model;

/**
 * The stable 64-bit hash that maps unknown categorical values into OOV buckets and indexes
 * vocabularies: FNV-1a 64 over the value's UTF-8 bytes, then the MurmurHash3 {@code fmix64}
 * finalizer (FNV-1a alone mixes its low bits poorly, and buckets are taken modulo small counts).
 *
 * <p>Computed straight from the chars (UTF-8 encoded on the fly, unpaired surrogates as {@code '?'}
 * like {@link String#getBytes}) so hashing a {@link CharSequence} allocates nothing. The value is
 * part of the model contract: changing it remaps every OOV id, so it never changes within a
 * format version. Bucket of a value: {@code floorMod(hash64(v), oovBuckets)}.
 */
public final class FeatureHash {
  /** FNV-1a 64-bit offset basis. */
  static final long FNV_OFFSET = 0xcbf29ce484222325L;
  /** FNV-1a 64-bit prime. */
  static final long FNV_PRIME = 0x100000001b3L;

  private FeatureHash() {}

  /** The 64-bit hash of {@code s}'s UTF-8 bytes. */
  public static long hash64(CharSequence s) {
    long h = FNV_OFFSET;
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        h = (h ^ c) * FNV_PRIME;
      } else if (c < 0x800) {
        h = (h ^ (0xC0 | (c >> 6))) * FNV_PRIME;
        h = (h ^ (0x80 | (c & 0x3F))) * FNV_PRIME;
      } else {
        int cp = c;
        if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
          cp = Character.toCodePoint(c, s.charAt(++i));
        } else if (Character.isSurrogate(c)) {
          h = (h ^ '?') * FNV_PRIME; // what String.getBytes(UTF_8) writes for an unpaired surrogate
          continue;
        }
        if (cp < 0x10000) {
          h = (h ^ (0xE0 | (cp >> 12))) * FNV_PRIME;
          h = (h ^ (0x80 | ((cp >> 6) & 0x3F))) * FNV_PRIME;
          h = (h ^ (0x80 | (cp & 0x3F))) * FNV_PRIME;
        } else {
          h = (h ^ (0xF0 | (cp >> 18))) * FNV_PRIME;
          h = (h ^ (0x80 | ((cp >> 12) & 0x3F))) * FNV_PRIME;
          h = (h ^ (0x80 | ((cp >> 6) & 0x3F))) * FNV_PRIME;
          h = (h ^ (0x80 | (cp & 0x3F))) * FNV_PRIME;
        }
      }
    }
    return fmix64(h);
  }

  /** The 64-bit hash of raw bytes (same function as {@link #hash64(CharSequence)} on UTF-8). */
  public static long hash64(byte[] utf8, int off, int len) {
    long h = FNV_OFFSET;
    for (int i = off; i < off + len; i++) {
      h = (h ^ (utf8[i] & 0xFF)) * FNV_PRIME;
    }
    return fmix64(h);
  }

  /** MurmurHash3's 64-bit finalizer. */
  public static long fmix64(long k) {
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    k *= 0xc4ceb9fe1a85ec53L;
    k ^= k >>> 33;
    return k;
  }

  /** The OOV bucket of {@code s} in {@code [0, buckets)}. */
  public static int bucket(CharSequence s, int buckets) {
    return (int) Math.floorMod(hash64(s), (long) buckets);
  }
}
