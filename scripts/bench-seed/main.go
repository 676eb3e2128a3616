// bench-seed makes large fleets for scripts/bench and scripts/bench-upgrade: it copies a
// store that `storectl create` made, key by key, in the control plane's etcd (see
// etcd.go and docs/performance.md, "The 10,000-store fleet").
//
//	bench-seed -etcd URL -name s00001 -capture FILE [-services]
//	bench-seed -etcd URL -name s00001 -template FILE -format s%05d -from 1 -to 10000
//
// Only the Go standard library; built and run by scripts/bench-lib.sh.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	etcd := flag.String("etcd", "", "etcd's client URL")
	name := flag.String("name", "", "the template store's name, replaced in every key and value")
	capture := flag.String("capture", "", "write the template store's keys to FILE")
	services := flag.Bool("services", false, "with -capture: the Services too (the copies share their cluster IPs)")
	template := flag.String("template", "", "copy the keys -capture wrote to FILE")
	from := flag.Int("from", 1, "first store number")
	to := flag.Int("to", 10, "last store number")
	format := flag.String("format", "s%04d", "store name from its number (as long as -name)")
	parallel := flag.Int("parallel", 8, "transactions (stores) at once")
	flag.Parse()
	switch {
	case *etcd == "" || *name == "":
		check(fmt.Errorf("-etcd and -name are needed"))
	case *capture != "":
		captureEtcd(*etcd, *name, *capture, *services)
	case *template != "":
		copyEtcd(*etcd, *template, *name, *format, *from, *to, *parallel)
	default:
		check(fmt.Errorf("-capture or -template is needed"))
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench-seed: %v\n", err)
		os.Exit(1)
	}
}
