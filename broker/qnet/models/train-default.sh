#!/bin/sh
# train-default.sh - (re)build broker/qnet/models/default.cbor, the Q-network
# the broker loads when no other model is configured, deterministically:
# the same ephemera-train build, trace files and options give the same bytes
# (fixed seed, fixed metadata date; every random choice and every sum of the
# trainer is seeded and ordered, tests/unit/qnet/td_test.c).
#
#   broker/qnet/models/train-default.sh [OUT]       (OUT: default.cbor here)
#
# Environment: EPHEMERA_TRAIN (an ephemera-train binary; default: build it
# in Release in $BUILD, default build-rel at the top of the checkout),
# EPH_TRACES (the public traces, default ../shared/traces next to the
# checkout). About 2 minutes on this project's 2-vCPU machine (Release).
#
# What it trains (docs/learner.md): Azure Functions 2019 (invitro 500
# functions), first 80 % by time, 10 episodes of 10000 decisions, seed 1,
# hidden 64, gamma 0.9, advantage learning 0.9, rewards normalised by the
# VPA-style baseline's, one chain per function; then it evaluates the model
# on the held-out 20 % (the figures docs/learner.md and bench/README.md
# quote) and checks that the file loads.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=${1:-$here/default.cbor}
traces=${EPH_TRACES:-$root/../shared/traces}
azure=$traces/azure_functions_2019/invitro_500

if [ -z "${EPHEMERA_TRAIN:-}" ]; then
	build=${BUILD:-$root/build-rel}
	if [ ! -x "$build/broker/qnet/ephemera-train" ]; then
		cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
	fi
	cmake --build "$build" --target ephemera-train -j2 >/dev/null
	EPHEMERA_TRAIN=$build/broker/qnet/ephemera-train
fi
if [ ! -f "$azure/invocations.csv" ]; then
	echo "train-default.sh: no Azure Functions trace at $azure (set EPH_TRACES)" >&2
	exit 1
fi

"$EPHEMERA_TRAIN" train --azure "$azure" --split 0.8 \
	--episodes 10 --episode-len 10000 --eps-decay 50000 --seed 1 \
	--hidden 64 --gamma 0.9 --al-alpha 0.9 --calib 10000 \
	--date 2026-11-26T00:00:00Z --progress 2 --out "$out"
"$EPHEMERA_TRAIN" inspect "$out" >/dev/null
"$EPHEMERA_TRAIN" eval --model "$out" --azure "$azure" --split 0.8
sha256sum "$out"
