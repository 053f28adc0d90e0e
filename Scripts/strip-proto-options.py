#!/usr/bin/env python3
"""Reads one of etcd's .proto files on stdin and writes it without what only Go needs.

Removed: the gogoproto import and every (gogoproto.*) file or field option, the
google/api/annotations.proto import and every `option (google.api.http) = {...};` block
(which can nest `additional_bindings {...}`). Everything else is kept as it is.
"""
import re
import sys

text = sys.stdin.read()

# option (google.api.http) = { ... };  with nested braces.
out = []
i = 0
marker = re.compile(r"[ \t]*option \(google\.api\.http\) = \{")
while True:
    m = marker.search(text, i)
    if not m:
        out.append(text[i:])
        break
    out.append(text[i:m.start()])
    depth = 0
    j = m.end() - 1
    while True:
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                break
        j += 1
    end = text.index(";", j) + 1
    if end < len(text) and text[end] == "\n":
        end += 1
    i = end
text = "".join(out)

text = re.sub(r'^import "gogoproto/gogo.proto";\n', "", text, flags=re.M)
text = re.sub(r'^// for grpc-gateway\n', "", text, flags=re.M)
text = re.sub(r'^import "google/api/annotations.proto";\n', "", text, flags=re.M)
text = re.sub(r"^option \(gogoproto\.[a-z_]+\) = [a-z]+;\n", "", text, flags=re.M)
# Field options: [(gogoproto.x) = y] alone, or one among several.
text = re.sub(r"\s*\[\(gogoproto\.[a-z_]+\) = [^\]]*\]", "", text)
text = re.sub(r",\s*\(gogoproto\.[a-z_]+\) = [^,\]]*", "", text)
text = re.sub(r"\(gogoproto\.[a-z_]+\) = [^,\]]*,\s*", "", text)

if "gogoproto" in text or "google.api" in text:
    sys.exit("strip-proto-options: an option was left in place; extend the patterns")
sys.stdout.write(text)
