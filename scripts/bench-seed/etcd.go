package main

// The fastest way in: a whole store, as the API server stored it in etcd, copied key by
// key with the store's name and its objects' uids substituted (same lengths, so the
// protobuf values stay valid). The API server's watch of etcd sees each put as it sees
// its own writes, and serves the copies like any other object.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

type kv struct {
	Key   []byte `json:"key"`
	Value []byte `json:"value"`
}

var uidPattern = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

func etcdPost(client *http.Client, url string, body any, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	resp, err := client.Post(url, "application/json", bytes.NewReader(raw))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %s", url, resp.Status, msg)
	}
	if out != nil {
		return json.Unmarshal(msg, out)
	}
	return nil
}

// What is not copied: events, the cluster IPs' IPAddress objects (one per IP), and
// unless services is set the Services with their Endpoints and EndpointSlices: copies
// share the template's cluster IPs, which the API server's repair loop reports.
func skipped(key []byte, services bool) bool {
	prefixes := []string{"/registry/events/", "/registry/ipaddresses/"}
	if !services {
		prefixes = append(prefixes, "/registry/services/", "/registry/endpointslices/")
	}
	for _, prefix := range prefixes {
		if bytes.HasPrefix(key, []byte(prefix)) {
			return true
		}
	}
	return false
}

// captureEtcd writes to file every key of etcd under /registry/ whose key or value
// names the template store, but those skipped.
func captureEtcd(etcd, name, file string, services bool) {
	client := &http.Client{Timeout: 60 * time.Second}
	var got struct {
		Kvs []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		} `json:"kvs"`
	}
	prefix := []byte("/registry/")
	end := []byte("/registry0")
	check(etcdPost(client, etcd+"/v3/kv/range", map[string]any{
		"key": prefix, "range_end": end,
	}, &got))
	var kept []kv
	for _, e := range got.Kvs {
		key, err := base64.StdEncoding.DecodeString(e.Key)
		check(err)
		value, err := base64.StdEncoding.DecodeString(e.Value)
		check(err)
		if skipped(key, services) {
			continue
		}
		if bytes.Contains(key, []byte(name)) || bytes.Contains(value, []byte("store-"+name)) {
			kept = append(kept, kv{key, value})
		}
	}
	raw, err := json.Marshal(kept)
	check(err)
	check(os.WriteFile(file, raw, 0o600))
	fmt.Printf("captured=%d\n", len(kept))
}

// copyEtcd puts stores from..to: the template's keys and values with name replaced by
// the store's name (format of its number, the same length as name) and each uid the
// template holds by one of the store's own. A store's keys are put one at a time, what
// others depend on first (a ReplicaSet after its pods): each at a revision of its own, as
// the API server's own writes are. Kubernetes watches resume from the last revision they
// saw, so objects of one kind sharing a revision (one transaction a store, as before)
// can be lost to a watcher whose watch broke between them. With transactions, at 10,000
// stores the controller manager and the node simulator missed pods of 26 stores; a key
// at a time, at 1,000 the controller manager still missed one Service, so that is not
// the only way copies are missed (scripts/bench mends what it can see).
func copyEtcd(etcd, file, name, format string, from, to, parallel int) {
	raw, err := os.ReadFile(file)
	check(err)
	var template []kv
	check(json.Unmarshal(raw, &template))
	uidSet := map[string]bool{}
	for _, e := range template {
		for _, u := range uidPattern.FindAll(e.Value, -1) {
			uidSet[string(u)] = true
		}
	}
	// What others depend on first.
	sort.SliceStable(template, func(a, b int) bool { return rank(template[a].Key) < rank(template[b].Key) })
	uids := make([]string, 0, len(uidSet))
	for u := range uidSet {
		uids = append(uids, u)
	}
	sort.Strings(uids)
	client := &http.Client{Timeout: 120 * time.Second}
	start := time.Now()
	var written atomic.Int64
	put := func(ops []map[string]any) {
		for _, op := range ops {
			for attempt := 0; ; attempt++ {
				err := etcdPost(client, etcd+"/v3/kv/put", op, nil)
				if err == nil {
					written.Add(1)
					break
				}
				// A busy etcd times requests out; a put again is the same put.
				if attempt > 60 {
					check(err)
				}
				time.Sleep(time.Duration(min(500*(attempt+1), 5000)) * time.Millisecond)
			}
		}
	}
	go func() {
		for range time.Tick(30 * time.Second) {
			fmt.Fprintf(os.Stderr, "bench-seed: %d keys put in %.0f s\n", written.Load(), time.Since(start).Seconds())
		}
	}()
	batches := make(chan []map[string]any)
	var wg sync.WaitGroup
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ops := range batches {
				put(ops)
			}
		}()
	}
	var ops []map[string]any
	for i := from; i <= to; i++ {
		store := []byte(fmt.Sprintf(format, i))
		if len(store) != len(name) {
			check(fmt.Errorf("store %s: not as long as %s", store, name))
		}
		for _, e := range template {
			key := bytes.ReplaceAll(e.Key, []byte(name), store)
			value := bytes.ReplaceAll(e.Value, []byte(name), store)
			for _, u := range uids {
				mine := fmt.Sprintf("%s%012x", u[:24], i)
				value = bytes.ReplaceAll(value, []byte(u), []byte(mine))
				key = bytes.ReplaceAll(key, []byte(u), []byte(mine))
			}
			ops = append(ops, map[string]any{"key": key, "value": value})
		}
		batches <- ops
		ops = nil
	}
	close(batches)
	wg.Wait()
	fmt.Printf("written=%d failed=0 seconds=%.1f\n", written.Load(), time.Since(start).Seconds())
}

func rank(key []byte) int {
	for i, prefix := range []string{
		"/registry/namespaces/", "/registry/persistentvolumes/", "/registry/persistentvolumeclaims/",
		"/registry/pods/", "/registry/replicasets/", "/registry/deployments/", "/registry/jobs/",
	} {
		if bytes.HasPrefix(key, []byte(prefix)) {
			return i
		}
	}
	return 1 // the rest with the volumes, before anything that uses them
}
