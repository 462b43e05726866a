// Reads lines "<mode> <hex bytes>" on stdin and prints one line per input, every text as hex, for
// test/server/go-json.slow.test.ts: what go's encoding/json does with the bytes, as etcd's gateway uses it.
//
//	decoder: json.Decoder.Decode into json.RawMessage → "eof", "value <raw>" or "error <message>"
//	int64:   json.Unmarshal into int64                → "ok <decimal>" or "error <message>"
//	bytes:   json.Unmarshal into []byte               → "ok <base64>" or "error <message>"
//	quote:   fmt.Sprintf("%q", bytes)                 → "<quoted>"
//	marshal: json.Marshal(string(bytes))              → "<json>"
package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	text := func(s string) string { return hex.EncodeToString([]byte(s)) }
	for in.Scan() {
		var mode, hx string
		fmt.Sscan(in.Text(), &mode, &hx)
		b, err := hex.DecodeString(hx)
		if err != nil {
			panic(err)
		}
		switch mode {
		case "decoder":
			var raw json.RawMessage
			err := json.NewDecoder(bytes.NewReader(b)).Decode(&raw)
			switch {
			case err == io.EOF:
				fmt.Fprintln(out, "eof")
			case err != nil:
				fmt.Fprintln(out, "error", text(err.Error()))
			default:
				fmt.Fprintln(out, "value", hex.EncodeToString(raw))
			}
		case "int64":
			var v int64
			if err := json.Unmarshal(b, &v); err != nil {
				fmt.Fprintln(out, "error", text(err.Error()))
			} else {
				fmt.Fprintln(out, "ok", text(fmt.Sprint(v)))
			}
		case "bytes":
			var v []byte
			if err := json.Unmarshal(b, &v); err != nil {
				fmt.Fprintln(out, "error", text(err.Error()))
			} else {
				fmt.Fprintln(out, "ok", text(base64.StdEncoding.EncodeToString(v)))
			}
		case "quote":
			fmt.Fprintln(out, text(fmt.Sprintf("%q", b)))
		case "marshal":
			m, _ := json.Marshal(string(b))
			fmt.Fprintln(out, text(string(m)))
		default:
			panic("unknown mode " + mode)
		}
	}
}
