#!/bin/bash
# The e2e capture parent: prints "pid PID", then for each line read on stdin starts $2 short-lived children at once
# (sh -c "exit N" with distinct exit codes 3, 4, …), prints "child PID CODE" for each and "spawned" once they have
# all ended. It keeps no child while idle (it waits in read), so a watch on its children sees only those. $1 is the
# marker its command line carries for the filter.
count=$2
echo "pid $$"
while read -r _; do
  for ((i = 0; i < count; i++)); do
    sh -c "exit $((i + 3))" &
    echo "child $! $((i + 3))"
  done
  wait
  echo "spawned"
done
