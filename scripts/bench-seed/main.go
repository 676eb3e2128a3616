// bench-seed writes N stores straight to the API server, each a copy of one real store
// that `storectl create` made (captured by scripts/bench-lib.sh's seed_bulk), with its
// name substituted. Each store goes in the waves storectl's create uses: its Namespace,
// then every object that is not a workload, then the workloads (Deployments, Jobs), so a
// pod never starts before its Secrets and ConfigMaps exist. Many stores are written at
// once over one HTTP/2 connection. The control plane (controller manager and node
// simulator) then does for each store what it does for one that storectl made.
//
// Only the Go standard library; built and run by scripts/bench-lib.sh.
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// One object of the template: the collection it is POSTed to and its body, both
// holding the template store's name where the new store's goes.
type object struct {
	Method string          `json:"method"` // "create" (POST), "apply" (server-side) or "merge" (a merge patch)
	Path   string          `json:"path"`
	Wave   int             `json:"wave"`
	Body   json.RawMessage `json:"body"`
}

func main() {
	server := flag.String("server", "", "API server URL")
	tokenFile := flag.String("token-file", "", "file holding a bearer token")
	caFile := flag.String("ca", "", "CA certificate of the API server")
	template := flag.String("template", "", "JSON array of {path, wave, body}")
	name := flag.String("name", "", "the template store's name, replaced in every path and body")
	from := flag.Int("from", 2, "first store number")
	to := flag.Int("to", 10, "last store number")
	format := flag.String("format", "s%04d", "store name from its number")
	parallel := flag.Int("parallel", 64, "stores written at once")
	flag.Parse()

	token, err := os.ReadFile(*tokenFile)
	check(err)
	ca, err := os.ReadFile(*caFile)
	check(err)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		check(fmt.Errorf("no certificate in %s", *caFile))
	}
	raw, err := os.ReadFile(*template)
	check(err)
	var objects []object
	check(json.Unmarshal(raw, &objects))
	waves := map[int][]object{}
	maxWave := 0
	for _, o := range objects {
		waves[o.Wave] = append(waves[o.Wave], o)
		maxWave = max(maxWave, o.Wave)
	}

	transport := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool},
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: *parallel,
	}
	client := &http.Client{Transport: transport, Timeout: 120 * time.Second}
	auth := "Bearer " + strings.TrimSpace(string(token))

	var written, failed atomic.Int64
	write := func(method, path string, body []byte) {
		verb, contentType := "POST", "application/json"
		switch method {
		case "apply":
			verb, contentType = "PATCH", "application/apply-patch+yaml"
		case "merge":
			verb, contentType = "PATCH", "application/merge-patch+json"
		}
		for attempt := 0; ; attempt++ {
			req, err := http.NewRequest(verb, *server+path, bytes.NewReader(body))
			check(err)
			req.Header.Set("Authorization", auth)
			req.Header.Set("Content-Type", contentType)
			req.Header.Set("Accept", "application/json")
			resp, err := client.Do(req)
			if err == nil {
				msg, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch {
				case resp.StatusCode < 300 || resp.StatusCode == http.StatusConflict:
					written.Add(1)
					return
				case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
					err = fmt.Errorf("%s: %s", resp.Status, msg)
				default:
					fmt.Fprintf(os.Stderr, "bench-seed: %s %s: %s: %s\n", verb, path, resp.Status, msg)
					failed.Add(1)
					return
				}
			}
			if attempt >= 20 {
				fmt.Fprintf(os.Stderr, "bench-seed: %s %s: %v\n", verb, path, err)
				failed.Add(1)
				return
			}
			time.Sleep(time.Duration(100*(attempt+1)) * time.Millisecond)
		}
	}

	start := time.Now()
	stores := make(chan int)
	var wg sync.WaitGroup
	for range *parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range stores {
				store := fmt.Sprintf(*format, i)
				for wave := 0; wave <= maxWave; wave++ {
					var inWave sync.WaitGroup
					for _, o := range waves[wave] {
						inWave.Add(1)
						go func() {
							defer inWave.Done()
							path := strings.ReplaceAll(o.Path, *name, store)
							body := bytes.ReplaceAll(o.Body, []byte(*name), []byte(store))
							write(o.Method, path, body)
						}()
					}
					inWave.Wait()
				}
			}
		}()
	}
	go func() {
		for range time.Tick(10 * time.Second) {
			fmt.Fprintf(os.Stderr, "bench-seed: %d objects written in %.0f s\n", written.Load(), time.Since(start).Seconds())
		}
	}()
	for i := *from; i <= *to; i++ {
		stores <- i
	}
	close(stores)
	wg.Wait()
	fmt.Printf("written=%d failed=%d seconds=%.1f\n", written.Load(), failed.Load(), time.Since(start).Seconds())
	if failed.Load() > 0 {
		os.Exit(1)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench-seed: %v\n", err)
		os.Exit(1)
	}
}
