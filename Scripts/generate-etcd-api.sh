#!/usr/bin/env bash
# Generates Sources/EtcdAPI/Generated from etcd 3.4's .proto files: the KV, Watch, Lease, Cluster,
# Maintenance and Auth services (rpc.proto), and the Lock and Election services (v3lock.proto,
# v3election.proto, which import rpc.proto and kv.proto by the paths Scripts/proto keeps).
#
#   Scripts/generate-etcd-api.sh                       generate from the copies in Scripts/proto
#   Scripts/generate-etcd-api.sh --refresh ETCD_GIT_DIR [TAG]
#                                                      first copy the .proto files afresh from a
#                                                      clone of etcd-io/etcd at TAG (v3.4.45);
#                                                      each file's path there is its path here
#                                                      without the leading etcd/
#
# The copies in Scripts/proto are etcd's files with the gogoproto imports and options and the
# google.api.http options removed: only the API definitions are left, and protoc needs neither
# gogoproto nor googleapis to read them.
#
# Needs protoc (Debian: protobuf-compiler) and two plugins built from the mirrored packages:
#   protoc-gen-swift         apple/swift-protobuf 1.39.0          swift build -c release --product protoc-gen-swift
#   protoc-gen-grpc-swift-2  grpc/grpc-swift-protobuf 2.4.1       swift build -c release --product protoc-gen-grpc-swift-2
# Build them in a scratch clone outside the repository (see PLUGIN_DIR below) and put them on
# PATH or name their folder in PLUGIN_DIR. The generated code is committed; no build runs this.
set -euo pipefail
cd "$(dirname "$0")/.."

PROTO_DIR=Scripts/proto
OUT_DIR=Sources/EtcdAPI/Generated
PROTOS=(etcd/mvcc/mvccpb/kv.proto etcd/auth/authpb/auth.proto etcd/etcdserver/etcdserverpb/rpc.proto
    etcd/etcdserver/api/v3lock/v3lockpb/v3lock.proto
    etcd/etcdserver/api/v3election/v3electionpb/v3election.proto)

if [ "${1:-}" = "--refresh" ]; then
    etcd_git=${2:?"--refresh needs the path of an etcd git directory"}
    tag=${3:-v3.4.45}
    for proto in "${PROTOS[@]}"; do
        source_path=${proto#etcd/}
        mkdir -p "$PROTO_DIR/$(dirname "$proto")"
        git -C "$etcd_git" show "$tag:$source_path" | python3 Scripts/strip-proto-options.py > "$PROTO_DIR/$proto"
        echo "copied $source_path at $tag"
    done
fi

if [ -n "${PLUGIN_DIR:-}" ]; then
    export PATH="$PLUGIN_DIR:$PATH"
fi
for tool in protoc protoc-gen-swift protoc-gen-grpc-swift-2; do
    command -v "$tool" >/dev/null || { echo "$tool is not on PATH (see the comment at the top of $0)" >&2; exit 1; }
done

rm -rf "$OUT_DIR"
mkdir -p "$OUT_DIR"
protoc -I "$PROTO_DIR" \
    --swift_out="$OUT_DIR" --swift_opt=Visibility=Public,FileNaming=DropPath \
    --grpc-swift-2_out="$OUT_DIR" --grpc-swift-2_opt=Visibility=Public,FileNaming=DropPath,Client=true,Server=true \
    "${PROTOS[@]}"
# kv.proto and auth.proto declare messages only; their gRPC files would be empty.
grep -l "This file contained no services" "$OUT_DIR"/*.grpc.swift | xargs -r rm
wc -l "$OUT_DIR"/*.swift
