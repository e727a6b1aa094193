#!/usr/bin/env bash
# ctest e2e.<name>: print the test's log from the nested bed and pass iff it passed.
#   show-result.sh RESULTS_DIR NAME
set -euo pipefail
dir=$1 name=$2
if [ ! -e "$dir/$name.result" ]; then
    echo "no result for $name in $dir: the e2e.nested-bed fixture did not run it"
    echo "(run it with: ctest -R 'e2e\\.$name\$', or PLUGVM_E2E_TESTS=$name for just this one)"
    exit 1
fi
cat "$dir/$name.log"
res=$(cat "$dir/$name.result")
echo "result: $res"
[ "${res%% *}" = PASS ]
