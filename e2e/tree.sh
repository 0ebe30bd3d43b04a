#!/bin/bash
# One level of the e2e test tree: prints "pid LEVEL PID", starts the next level (up to 3), keeps a sleep child,
# and on SIGUSR1 starts one more child (level 9), so a test can watch a new process appear. $1 is the marker.
marker=$1
level=$2
echo "pid $level $$"
if [ "$level" -lt 3 ]; then bash "$0" "$marker" $((level + 1)) & fi
trap 'bash "$0" "$marker" 9 &' USR1
sleep 600 &
while true; do wait; sleep 0.1; done
