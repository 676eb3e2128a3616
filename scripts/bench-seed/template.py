"""Builds bench-seed's template from one Ready store storectl made: `storectl render NAME
--show-secrets` (the objects storectl's create applies, in its order) and, read back
from the API server (argv[1]: a JSON list of the store's ConfigMaps, Deployments, Jobs,
PVCs and Pods), the revision ConfigMap (the one object create writes that render does
not print) and, with argv[2] == "status", what the control plane made of the store: the
status of its Deployments, setup Job and claims, and its running pods (without owners)
with their status. Reads the render on stdin; prints the template:
[{method, path, wave, body}] (wave 0 the Namespace, 1 what pods need, 2 what makes pods
and the revision, as create writes them; 3 the statuses and pods; 4 the pods' status)."""
import json
import sys

import yaml

# kind -> (API path prefix, plural, namespaced)
KINDS = {
    "Namespace": ("/api/v1", "namespaces", False),
    "Secret": ("/api/v1", "secrets", True),
    "Pod": ("/api/v1", "pods", True),
    "ConfigMap": ("/api/v1", "configmaps", True),
    "Service": ("/api/v1", "services", True),
    "PersistentVolumeClaim": ("/api/v1", "persistentvolumeclaims", True),
    "LimitRange": ("/api/v1", "limitranges", True),
    "ResourceQuota": ("/api/v1", "resourcequotas", True),
    "ServiceAccount": ("/api/v1", "serviceaccounts", True),
    "Deployment": ("/apis/apps/v1", "deployments", True),
    "Job": ("/apis/batch/v1", "jobs", True),
    "CronJob": ("/apis/batch/v1", "cronjobs", True),
    "Ingress": ("/apis/networking.k8s.io/v1", "ingresses", True),
    "NetworkPolicy": ("/apis/networking.k8s.io/v1", "networkpolicies", True),
    "Lease": ("/apis/coordination.k8s.io/v1", "leases", True),
    "Role": ("/apis/rbac.authorization.k8s.io/v1", "roles", True),
    "RoleBinding": ("/apis/rbac.authorization.k8s.io/v1", "rolebindings", True),
}
# What storectl's create writes with a plain create (the rest is server-side applied).
CREATED = {"Namespace", "Secret"}
MAKES_PODS = {"Deployment", "Job", "CronJob", "StatefulSet"}


def entry(obj, wave, method, manager="storectl"):
    prefix, plural, namespaced = KINDS[obj["kind"]]
    meta = obj["metadata"]
    path = prefix
    if namespaced:
        path += "/namespaces/" + meta["namespace"]
    path += "/" + plural
    if method == "apply":
        path += "/" + meta["name"] + "?fieldManager=storectl&force=true"
    elif method == "status":
        path += "/" + meta["name"] + "/status"
        if manager:
            path += "?fieldManager=" + manager
        obj = {"status": obj["status"]}
        method = "merge"
    else:
        path += "?fieldManager=" + manager
    return {"method": method, "path": path, "wave": wave, "body": obj}


out = []
for obj in yaml.safe_load_all(sys.stdin):
    if not obj:
        continue
    kind = obj["kind"]
    wave = 0 if kind == "Namespace" else 2 if kind in MAKES_PODS else 1
    # The writer binding is created by storectl (it asks whether writes are allowed).
    created = kind in CREATED or (kind == "RoleBinding" and obj["metadata"]["name"] == "storectl-store-writer")
    out.append(entry(obj, wave, "create" if created else "apply"))
with open(sys.argv[1]) as f:
    read = json.load(f)["items"]
with_status = len(sys.argv) > 2 and sys.argv[2] == "status"


def bare_meta(o):
    return {k: o["metadata"][k] for k in ("name", "namespace", "labels", "annotations") if k in o["metadata"]}


for o in read:
    kind = o["kind"]
    if kind == "ConfigMap" and "-revision-" in o["metadata"]["name"]:
        out.append(entry({"apiVersion": "v1", "kind": kind, "metadata": bare_meta(o), "data": o["data"]}, 2, "create"))
    if not with_status:
        continue
    if kind in ("Deployment", "Job", "PersistentVolumeClaim"):
        out.append(entry(o, 3, "status", "kube-controller-manager"))
    if kind == "Pod" and o["status"].get("phase") == "Running":
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": bare_meta(o), "spec": o["spec"]}
        # Made by the ReplicaSet controller, their status written by the node simulator
        # (which names no field manager).
        out.append(entry(pod, 3, "create", "kube-controller-manager"))
        out.append(entry(o, 4, "status", None))
json.dump(out, sys.stdout)
