package io.ctrstreams.schemas;

/**
 * Strict UTF-8 validation (RFC 3629): rejects overlong forms (e.g. {@code C0 AF} for '/'), encoded
 * surrogates ({@code ED A0 80}), code points above U+10FFFF and truncated sequences, which the
 * JDK's and Jackson's decoders would otherwise turn into a different character or U+FFFD, so two
 * different byte strings would read as the same id or feature value. An ASCII run costs one
 * comparison per byte.
 */
final class Utf8 {
  private Utf8() {}

  /** The offset of the first byte of the first malformed sequence in {@code [off, off + len)}, or -1. */
  static int firstMalformed(byte[] b, int off, int len) {
    int end = off + len;
    int i = off;
    while (i < end) {
      int c = b[i];
      if (c >= 0) {
        i++;
        continue;
      }
      c &= 0xff;
      int n;
      int min;
      int max = 0xbf;
      if (c >= 0xc2 && c <= 0xdf) {
        n = 1;
        min = 0x80;
      } else if (c >= 0xe0 && c <= 0xef) {
        n = 2;
        min = c == 0xe0 ? 0xa0 : 0x80; // E0: no overlong 3-byte forms
        max = c == 0xed ? 0x9f : 0xbf; // ED: no surrogates
      } else if (c >= 0xf0 && c <= 0xf4) {
        n = 3;
        min = c == 0xf0 ? 0x90 : 0x80; // F0: no overlong 4-byte forms
        max = c == 0xf4 ? 0x8f : 0xbf; // F4: nothing above U+10FFFF
      } else {
        return i; // 80-C1 (continuation or overlong lead), F5-FF
      }
      if (end - i <= n) {
        return i;
      }
      int second = b[i + 1] & 0xff;
      if (second < min || second > max) {
        return i;
      }
      for (int k = 2; k <= n; k++) {
        int x = b[i + k] & 0xff;
        if (x < 0x80 || x > 0xbf) {
          return i;
        }
      }
      i += n + 1;
    }
    return -1;
  }
}
