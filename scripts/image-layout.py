#!/usr/bin/env python3
# Writes storectl's OCI image (an OCI image layout directory and the same as one tar
# file) from the files scripts/image gathered, byte for byte the same for the same inputs:
# tar entries sorted, every mtime SOURCE_DATE_EPOCH, owners numeric, gzip without name or
# time, JSON with sorted keys, and the config's `created` that same epoch.
#
#   scripts/image-layout.py BINARY CA_BUNDLE OUT_DIR TAG REVISION
#
# Standard library only. Prints the image's digest (its manifest's) on stdout.
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile
import time

UID = GID = 65532  # the image's user: "nonroot", numeric, no login, no shell
ENTRYPOINT = "/usr/local/bin/storectl"
HOME = "/home/storectl"
CA_PATH = "etc/ssl/certs/ca-certificates.crt"


def canonical(document):
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def tar_bytes(entries, epoch):
    """A tar file of (name, mode, uid, gid, bytes or None for a directory), in name order."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, mode, uid, gid, data in sorted(entries, key=lambda e: e[0]):
            info = tarfile.TarInfo(name)
            info.mode, info.uid, info.gid, info.mtime = mode, uid, gid, epoch
            info.uname = info.gname = ""
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def main():
    binary, ca_bundle, out_dir, tag, revision = sys.argv[1:6]
    epoch = int(os.environ["SOURCE_DATE_EPOCH"])
    with open(binary, "rb") as f:
        storectl = f.read()
    with open(ca_bundle, "rb") as f:
        certificates = f.read()
    passwd = b"root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:storectl:/home/storectl:/sbin/nologin\n"
    group = b"root:x:0:\nnonroot:x:65532:\n"
    root_dirs = ["etc", "etc/ssl", "etc/ssl/certs", "home", "usr", "usr/local", "usr/local/bin"]
    entries = [(d, 0o755, 0, 0, None) for d in root_dirs] + [
        ("home/storectl", 0o755, UID, GID, None),
        ("tmp", 0o1777, 0, 0, None),
        ("etc/passwd", 0o644, 0, 0, passwd),
        ("etc/group", 0o644, 0, 0, group),
        (CA_PATH, 0o644, 0, 0, certificates),
        (ENTRYPOINT.lstrip("/"), 0o755, 0, 0, storectl),
    ]
    layer = tar_bytes(entries, epoch)
    compressed = gzip.compress(layer, compresslevel=9, mtime=0)

    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
    labels = {
        "org.opencontainers.image.title": "storectl",
        "org.opencontainers.image.version": tag,
        "org.opencontainers.image.revision": revision,
        "org.opencontainers.image.created": created,
        "org.opencontainers.image.licenses": "Apache-2.0",
    }
    config = canonical({
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "config": {
            "User": f"{UID}:{GID}",
            "Entrypoint": [ENTRYPOINT],
            "Cmd": ["--help"],
            "Env": [
                "PATH=/usr/local/bin",
                f"HOME={HOME}",
                f"SSL_CERT_FILE=/{CA_PATH}",
            ],
            "WorkingDir": HOME,
            "Labels": labels,
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]},
        "history": [{"created": created, "created_by": "scripts/image"}],
    })
    blobs = {}

    def blob(data, media_type):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs[digest] = data
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    manifest = canonical({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": blob(config, "application/vnd.oci.image.config.v1+json"),
        "layers": [blob(compressed, "application/vnd.oci.image.layer.v1.tar+gzip")],
        "annotations": labels,
    })
    described = blob(manifest, "application/vnd.oci.image.manifest.v1+json")
    described["annotations"] = {"org.opencontainers.image.ref.name": tag}
    described["platform"] = {"architecture": "amd64", "os": "linux"}
    index = canonical({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [described],
    })
    files = {"oci-layout": canonical({"imageLayoutVersion": "1.0.0"}), "index.json": index}
    files.update({"blobs/sha256/" + d.split(":")[1]: data for d, data in blobs.items()})

    layout = os.path.join(out_dir, "storectl")
    for name, data in files.items():
        path = os.path.join(layout, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    dirs = {"blobs", "blobs/sha256"}
    archive = [(d, 0o755, 0, 0, None) for d in dirs]
    archive += [(name, 0o644, 0, 0, data) for name, data in files.items()]
    with open(os.path.join(out_dir, f"storectl-{tag}.oci.tar"), "wb") as f:
        f.write(tar_bytes(archive, epoch))
    print(described["digest"])


if __name__ == "__main__":
    main()
