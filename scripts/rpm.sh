#!/usr/bin/env bash
# Builds the noarch RPM: bundles the hooks, makes the source tarball, runs
# rpmbuild (Debian's rpm package has it), and prints the RPM's path last.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

name=vdsm-hook-ovs
version=$(node -p 'require("./package.json").version')
spec_version=$(sed -n 's/^Version:[[:space:]]*//p' rpm/$name.spec)
if [[ $version != "$spec_version" ]]; then
  echo "rpm.sh: package.json version $version differs from the spec's $spec_version" >&2
  exit 1
fi

npm run build >&2
top=$PWD/dist/rpmbuild
rm -rf "$top"
mkdir -p "$top"/{SOURCES,SPECS,BUILD,RPMS,SRPMS,stage/$name-$version}
stage=$top/stage/$name-$version
mkdir -p "$stage/dist" "$stage/rpm"
cp -r dist/hooks dist/bin "$stage/dist/"
cp rpm/$name.conf rpm/$name.spec rpm/$name.sudoers rpm/$name-restore.service "$stage/rpm/"
cp README.md LICENSE "$stage/"
tar -C "$top/stage" -czf "$top/SOURCES/$name-$version.tar.gz" "$name-$version"

# --nodeps: the build host (Debian) has no RPM database of the Requires
rpmbuild -bb --nodeps --quiet \
  --define "_topdir $top" \
  "rpm/$name.spec" >&2
ls "$top"/RPMS/noarch/$name-$version-*.noarch.rpm
