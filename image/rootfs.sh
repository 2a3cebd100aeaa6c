#!/usr/bin/env bash
# Assembles the two file trees of the ctr container image (image/pom.xml adds them as the image's
# layers with Jib, on an empty `scratch` base: nothing is pulled from a registry):
#   OUT/runtime  a Java runtime cut by jlink to the modules the app uses (jdeps on the shaded jar),
#                the host's shared libraries that runtime and the jar's JNI libraries link against
#                (RocksDB, ND4J, OpenBLAS, JavaCPP, snappy, zstd; found with ldd), the C.UTF-8 locale,
#                /etc/passwd and /etc/group with the non-root user ctr (10001), an empty /tmp;
#   OUT/app      app/ctr.jar (the shaded jar of cli/).
# Usage: rootfs.sh CTR_JAR OUT [EXTRA_MODULES [CLASSES_DIR]]
# CLASSES_DIR is created empty: Jib wants the module's (here empty) compile output to exist.
# Needs a JDK with jmods (jlink, jdeps) and ldd, on x86_64 glibc Linux (Debian bookworm here): the
# image is as reproducible as the JDK and the Debian packages it copies from.
set -euo pipefail
jar=$1 out=$2 extra=${3:-}
[[ -z ${4:-} ]] || mkdir -p "$4"
JAVA_HOME=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
[[ -f $jar ]] || { echo "rootfs.sh: $jar not found (build cli first)" >&2; exit 1; }
[[ -d $JAVA_HOME/jmods ]] || { echo "rootfs.sh: $JAVA_HOME has no jmods/ (jlink needs a full JDK)" >&2; exit 1; }
[[ $(uname -m) == x86_64 ]] || { echo "rootfs.sh: only x86_64 (the jar's ND4J natives are linux-x86_64)" >&2; exit 1; }
rm -rf "$out/runtime" "$out/app" "$out/natives"
mkdir -p "$out/runtime" "$out/app/app" "$out/natives"
rt=$out/runtime
libdir=usr/lib/x86_64-linux-gnu

# 1. the modules the jar uses, plus EXTRA_MODULES (loaded reflectively or by configuration)
modules=$("$JAVA_HOME/bin/jdeps" --multi-release 17 --ignore-missing-deps --print-module-deps "$jar")
modules=$(printf "%s\n" ${modules//,/ } ${extra//,/ } | sort -u | paste -sd,)
echo "rootfs.sh: jlink --add-modules $modules"
# java.desktop (java.beans for Jackson and Avro) ships AWT, font, sound and image natives that a
# headless service never loads and that would drag X11, freetype and friends into the image
"$JAVA_HOME/bin/jlink" --add-modules "$modules" --output "$rt/opt/java" \
  --strip-debug --no-header-files --no-man-pages \
  --exclude-files='**/libawt_xawt.so,**/libsplashscreen.so,**/libjsound.so,**/libfontmanager.so,**/libjavajpeg.so,**/liblcms.so,**/libmlib_image.so,**/libjawt.so,**/libawt_headless.so,**/libawt.so'
# Debian's jmods carry a cacerts placeholder that points into /etc; TLS to a broker with a public CA
# needs the real store (a private CA comes as ssl.truststore.location from a Secret)
if [[ -L $rt/opt/java/lib/security/cacerts || ! -s $rt/opt/java/lib/security/cacerts ]]; then
  rm -f "$rt/opt/java/lib/security/cacerts"
  cp -L /etc/ssl/certs/java/cacerts "$rt/opt/java/lib/security/cacerts"
fi

# 2. the Linux x86_64 glibc JNI libraries of the jar (extracted at run time into /tmp or the JavaCPP
# cache); libjniopenblas_nolapack.so is skipped: it needs libopenblas_nolapack, which the jar does
# not ship and JavaCPP never loads next to the full libopenblas
(cd "$out/natives" && unzip -q -o "$jar" 'librocksdbjni-linux64.so' 'org/xerial/snappy/native/Linux/x86_64/*' \
  'linux/amd64/*' 'org/bytedeco/*/linux-x86_64/*.so*' 'org/nd4j/*/linux-x86_64/*.so*' \
  -x '*libjniopenblas_nolapack.so')
native_dirs=$(find "$out/natives" -name '*.so*' -printf '%h\n' | sort -u | paste -sd:)

# 3. every shared library those link against that is not shipped with them: copied from the host
mapfile -t elves < <( { find "$rt/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' -o -name jspawnhelper -o -name jexec \);
                        find "$out/natives" -type f -name '*.so*'; } | sort)
declare -A need=()
missing=""
for f in "${elves[@]}"; do
  while read -r line; do
    case $line in
      *"=> not found"*) missing+="$f: $line"$'\n' ;;
      *"=> /"*) name=${line%% =>*}; path=${line#*=> }; path=${path%% (*}
                case $path in "$rt"/*|"$out"/natives/*) ;; *) need[$name]=$path ;; esac ;;
      /*ld-linux*) path=${line%% (*}; need[ld-linux]=$path ;;
    esac
  done < <(LD_LIBRARY_PATH="$rt/opt/java/lib:$rt/opt/java/lib/server:$native_dirs" ldd "$f" 2>/dev/null || true)
done
[[ -z $missing ]] || { printf 'rootfs.sh: unresolved libraries:\n%s' "$missing" >&2; exit 1; }
mkdir -p "$rt/$libdir" "$rt/lib64"
# glibc dlopens libgcc_s for thread cancellation: always take it
need[libgcc_s.so.1]=${need[libgcc_s.so.1]:-/lib/x86_64-linux-gnu/libgcc_s.so.1}
for name in $(printf '%s\n' "${!need[@]}" | sort); do
  if [[ $name == ld-linux ]]; then
    cp -L "${need[$name]}" "$rt/lib64/ld-linux-x86-64.so.2"
  else
    cp -L "${need[$name]}" "$rt/$libdir/$name"
  fi
  echo "rootfs.sh: host library $name <- $(readlink -f "${need[$name]}")"
done
rm -rf "$out/natives"

# 4. the C.UTF-8 locale (LANG=C.UTF-8: Java 17 takes file.encoding and sun.jnu.encoding from it)
mkdir -p "$rt/usr/lib/locale"
cp -r /usr/lib/locale/C.utf8 "$rt/usr/lib/locale/"

# 5. users: root and the non-root ctr (10001:10001, the manifests' runAsUser / runAsGroup); its
# home is /tmp, the one writable directory under the read-only root filesystem
mkdir -p "$rt/etc" "$rt/tmp"
printf 'root:x:0:0:root:/root:/sbin/nologin\nctr:x:10001:10001:ctr-streams:/tmp:/sbin/nologin\n' >"$rt/etc/passwd"
printf 'root:x:0:\nctr:x:10001:\n' >"$rt/etc/group"

# 6. the application
cp "$jar" "$out/app/app/ctr.jar"
echo "rootfs.sh: runtime $(du -sm "$rt" | cut -f1) MiB, app $(du -sm "$out/app" | cut -f1) MiB"
