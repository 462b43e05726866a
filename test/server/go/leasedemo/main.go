// leasedemo: what a Go etcd client (clientv3, etcd 3.4) observes of two 5 s
// leases, one line per observation on stdout:
//
//	expiring: granted, polled until its key is gone, then a keepalive for it
//	kept:     kept alive by clientv3's KeepAlive past its TTL, then revoked
//
// Against a real etcd it sleeps (the two stories run side by side, ~7 s).
// With -control URL (leaselab serve's control endpoint) every sleep is a
// POST URL/advance?ms=N instead, and the stories run one after the other
// because they share one fast-forwarded clock. The observations must be the
// same either way; the wall time goes to stderr.
//
// Built by test/server/go-clientv3.test.ts in GOPATH mode (GO111MODULE=off)
// against Debian's golang-etcd-server-dev sources.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/clientv3"
)

var (
	endpoint = flag.String("endpoint", "127.0.0.1:2379", "etcd gRPC address")
	control  = flag.String("control", "", "leaselab serve control URL: fast-forward instead of sleeping")
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "leasedemo: "+format+"\n", args...)
	os.Exit(1)
}

// pause lets ms of (virtual) time pass.
func pause(ms int) {
	if *control == "" {
		time.Sleep(time.Duration(ms) * time.Millisecond)
		return
	}
	response, err := http.Post(*control+"/advance?ms="+strconv.Itoa(ms), "text/plain", nil)
	if err != nil {
		fail("advance: %v", err)
	}
	response.Body.Close()
	if response.StatusCode != http.StatusOK {
		fail("advance: HTTP %d", response.StatusCode)
	}
}

type story struct {
	name  string
	lines []string
}

func (s *story) see(format string, args ...interface{}) {
	s.lines = append(s.lines, s.name+": "+fmt.Sprintf(format, args...))
}

func must(err error, what string) {
	if err != nil {
		fail("%s: %v", what, err)
	}
}

// nextEvent waits (bounded) for one event on a watch channel.
func nextEvent(events clientv3.WatchChan) string {
	select {
	case response, ok := <-events:
		if !ok || len(response.Events) == 0 {
			return "watch closed"
		}
		event := response.Events[0]
		return fmt.Sprintf("%s %s", event.Type, event.Kv.Key)
	case <-time.After(5 * time.Second):
		return "no event within 5 s"
	}
}

// expiring: nobody keeps the lease alive; it must expire at etcd's sweep.
func expiring(client *clientv3.Client, s *story) {
	ctx := context.Background()
	grant, err := client.Grant(ctx, 5)
	must(err, "grant")
	s.see("granted TTL %d", grant.TTL)
	put, err := client.Put(ctx, "demo/expiring", "v", clientv3.WithLease(grant.ID))
	must(err, "put")
	events := client.Watch(ctx, "demo/expiring", clientv3.WithRev(put.Header.Revision+1))
	elapsedMs := 0
	for _, stepMs := range []int{1000, 1000, 1000, 1000, 2500} {
		pause(stepMs)
		elapsedMs += stepMs
		ttl, err := client.TimeToLive(ctx, grant.ID)
		must(err, "time to live")
		get, err := client.Get(ctx, "demo/expiring")
		must(err, "get")
		s.see("after %d ms: key present %v, TTL %d", elapsedMs, len(get.Kvs) == 1, ttl.TTL)
	}
	s.see("watch: %s", nextEvent(events))
	_, err = client.KeepAliveOnce(ctx, grant.ID)
	s.see("keepalive once after expiry: %v", err)
}

// kept: clientv3's KeepAlive renews the lease (every TTL/3 of wall time) while time passes.
func kept(client *clientv3.Client, s *story) {
	ctx := context.Background()
	grant, err := client.Grant(ctx, 5)
	must(err, "grant")
	s.see("granted TTL %d", grant.TTL)
	put, err := client.Put(ctx, "demo/kept", "v", clientv3.WithLease(grant.ID))
	must(err, "put")
	events := client.Watch(ctx, "demo/kept", clientv3.WithRev(put.Header.Revision+1))
	keepCtx, stopKeeping := context.WithCancel(ctx)
	answers, err := client.KeepAlive(keepCtx, grant.ID)
	must(err, "keepalive")
	first := <-answers
	if first == nil {
		fail("keepalive channel closed before its first answer")
	}
	s.see("first keepalive answered TTL %d", first.TTL)
	go func() {
		for range answers {
		}
	}()
	pause(6000)
	ttl, err := client.TimeToLive(ctx, grant.ID)
	must(err, "time to live")
	get, err := client.Get(ctx, "demo/kept")
	must(err, "get")
	s.see("after 6000 ms: key present %v, TTL between 2 and 5 %v", len(get.Kvs) == 1, ttl.TTL >= 2 && ttl.TTL <= 5)
	stopKeeping()
	_, err = client.Revoke(ctx, grant.ID)
	s.see("revoke: %v", err)
	s.see("watch: %s", nextEvent(events))
}

func main() {
	flag.Parse()
	started := time.Now()
	client, err := clientv3.New(clientv3.Config{Endpoints: []string{*endpoint}, DialTimeout: 5 * time.Second})
	must(err, "connect")
	defer client.Close()

	stories := []*story{{name: "expiring"}, {name: "kept"}}
	if *control == "" {
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); expiring(client, stories[0]) }()
		go func() { defer wg.Done(); kept(client, stories[1]) }()
		wg.Wait()
	} else {
		expiring(client, stories[0])
		kept(client, stories[1])
	}
	for _, s := range stories {
		fmt.Println(strings.Join(s.lines, "\n"))
	}
	fmt.Fprintf(os.Stderr, "wall_ms %d\n", time.Since(started).Milliseconds())
}
