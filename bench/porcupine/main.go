// Porcupine's side of bench/porcupine.ts: check each history given on the
// command line with porcupine.CheckEvents, `reps` times, and print one JSON
// line per history: its verdict and each run's nanoseconds. A `.log` is a
// Jepsen etcd register log, a `.txt` a kv-append history (partitioned per key). Built at bench
// time in a temporary GOPATH next to a copy of the fetched porcupine sources
// (neither is kept in leaselab). The register model and the log reader are
// leaselab's, written to the same semantics as bench/porcupine.ts's.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/anishathalye/porcupine"
)

const absent = -1 << 40

type call struct {
	kind     byte // 'r', 'w', 'c'
	from, to int
}

type result struct {
	unknown bool
	ok      bool // cas succeeded
	value   int  // read; absent when nil
}

var register = porcupine.Model{
	Init: func() interface{} { return absent },
	Step: func(state, input, output interface{}) (bool, interface{}) {
		value := state.(int)
		in := input.(call)
		out := output.(result)
		switch in.kind {
		case 'r':
			return out.unknown || out.value == value, state
		case 'w':
			return true, in.from
		default:
			next := value
			if in.from == value {
				next = in.to
			}
			return out.unknown || out.ok == (in.from == value), next
		}
	},
}

func readLog(path string) []porcupine.Event {
	file, err := os.Open(path)
	if err != nil {
		panic(err)
	}
	defer file.Close()
	var events []porcupine.Event
	open := map[int]int{}
	next := 0
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) < 7 || fields[1] != "jepsen.util" {
			continue
		}
		process, err := strconv.Atoi(fields[3])
		if err != nil {
			continue
		}
		kind, f, args := fields[4], fields[5], fields[6:]
		number := func(s string) int {
			n, _ := strconv.Atoi(strings.Trim(s, "[]"))
			return n
		}
		switch {
		case kind == ":invoke":
			in := call{kind: 'r'}
			if f == ":write" {
				in = call{kind: 'w', from: number(args[0])}
			} else if f == ":cas" {
				in = call{kind: 'c', from: number(args[0]), to: number(args[1])}
			}
			events = append(events, porcupine.Event{ClientId: process, Kind: porcupine.CallEvent, Value: in, Id: next})
			open[process] = next
			next++
		case kind == ":ok" || (kind == ":fail" && f == ":cas"):
			id, found := open[process]
			if !found {
				continue
			}
			delete(open, process)
			out := result{ok: kind == ":ok", value: absent}
			if f == ":read" && args[0] != "nil" {
				out.value = number(args[0])
			}
			events = append(events, porcupine.Event{ClientId: process, Kind: porcupine.ReturnEvent, Value: out, Id: id})
		case kind == ":fail" && f == ":read":
			id, found := open[process]
			if !found {
				continue
			}
			delete(open, process)
			events = append(events, porcupine.Event{ClientId: process, Kind: porcupine.ReturnEvent, Value: result{unknown: true}, Id: id})
		}
	}
	// Calls that never completed (:info, timed out): returns at the end, outcome unknown.
	for id := 0; id < next; id++ {
		for process, openId := range open {
			if openId == id {
				events = append(events, porcupine.Event{ClientId: process, Kind: porcupine.ReturnEvent, Value: result{unknown: true}, Id: id})
			}
		}
	}
	return events
}

type kvCall struct {
	op         string // "get", "put", "append"
	key, value string
}

// The kv-append service, one key's value per partition.
var kvAppend = porcupine.Model{
	PartitionEvent: func(history []porcupine.Event) [][]porcupine.Event {
		keyOf := map[int]string{}
		byKey := map[string][]porcupine.Event{}
		var keys []string
		for _, event := range history {
			if event.Kind == porcupine.CallEvent {
				keyOf[event.Id] = event.Value.(kvCall).key
			}
			key := keyOf[event.Id]
			if _, seen := byKey[key]; !seen {
				keys = append(keys, key)
			}
			byKey[key] = append(byKey[key], event)
		}
		parts := make([][]porcupine.Event, 0, len(keys))
		for _, key := range keys {
			parts = append(parts, byKey[key])
		}
		return parts
	},
	Init: func() interface{} { return "" },
	Step: func(state, input, output interface{}) (bool, interface{}) {
		value := state.(string)
		in := input.(kvCall)
		switch in.op {
		case "get":
			return output.(string) == value, state
		case "put":
			return true, in.value
		default:
			return true, value + in.value
		}
	},
	// As porcupine's own tests configure these models: a state hash for kv-append, none for the register.
	Hash: func(state interface{}) uint64 {
		hash := fnv.New64a()
		hash.Write([]byte(state.(string)))
		return hash.Sum64()
	},
}

// One EDN map a line: {:process 9, :type :invoke, :f :append, :key "0", :value "x 9 0 y"}.
func readKv(path string) []porcupine.Event {
	file, err := os.Open(path)
	if err != nil {
		panic(err)
	}
	defer file.Close()
	field := func(line, name string) string {
		at := strings.Index(line, name+" ")
		if at < 0 {
			return ""
		}
		rest := line[at+len(name)+1:]
		if strings.HasPrefix(rest, "\"") {
			return rest[1 : 1+strings.Index(rest[1:], "\"")]
		}
		end := strings.IndexAny(rest, ",}")
		return rest[:end]
	}
	var events []porcupine.Event
	open := map[int]int{}
	next := 0
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		line := scanner.Text()
		process, err := strconv.Atoi(field(line, ":process"))
		if err != nil {
			continue
		}
		value := field(line, ":value")
		if value == "nil" {
			value = ""
		}
		switch field(line, ":type") {
		case ":invoke":
			events = append(events, porcupine.Event{ClientId: process, Kind: porcupine.CallEvent, Value: kvCall{op: strings.TrimPrefix(field(line, ":f"), ":"), key: field(line, ":key"), value: value}, Id: next})
			open[process] = next
			next++
		case ":ok":
			events = append(events, porcupine.Event{ClientId: process, Kind: porcupine.ReturnEvent, Value: value, Id: open[process]})
			delete(open, process)
		}
	}
	return events
}

// CPU time of the whole process (every thread: the garbage collector's too), as Node's process.cpuUsage counts it.
func cpuNanos() int64 {
	var usage syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &usage)
	return usage.Utime.Nano() + usage.Stime.Nano()
}

func main() {
	reps, _ := strconv.Atoi(os.Args[1])
	out := json.NewEncoder(os.Stdout)
	for _, path := range os.Args[2:] {
		model, events := register, []porcupine.Event(nil)
		if strings.HasSuffix(path, ".txt") {
			model, events = kvAppend, readKv(path)
		} else {
			events = readLog(path)
		}
		times := make([]int64, 0, reps)
		cpu := make([]int64, 0, reps)
		ok := false
		for i := 0; i < reps; i++ {
			cpuStart := cpuNanos()
			start := time.Now()
			ok = porcupine.CheckEvents(model, events)
			times = append(times, time.Since(start).Nanoseconds())
			cpu = append(cpu, cpuNanos()-cpuStart)
		}
		if err := out.Encode(map[string]interface{}{"path": path, "ok": ok, "ns": times, "cpuNs": cpu}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
