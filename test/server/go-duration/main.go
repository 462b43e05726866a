// Parses each JSON string on stdin with time.ParseDuration and prints one JSON line per input:
// {"ns":"<nanoseconds>"} or {"error":"<Go's message>"}, for test/server/go-duration.slow.test.ts.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"time"
)

func main() {
	var texts []string
	if err := json.NewDecoder(bufio.NewReader(os.Stdin)).Decode(&texts); err != nil {
		panic(err)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for _, text := range texts {
		d, err := time.ParseDuration(text)
		var line []byte
		if err != nil {
			line, _ = json.Marshal(map[string]string{"error": err.Error()})
		} else {
			line, _ = json.Marshal(map[string]string{"ns": fmt.Sprint(int64(d))})
		}
		fmt.Fprintln(out, string(line))
	}
}
