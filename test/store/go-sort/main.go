// Sorts each case as etcd sorts a range (sort.Sort, or sort.Sort(sort.Reverse(...))) and prints the
// order of the items' tags, for test/store/go-sort.slow.test.ts to compare with goSort.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

type item struct {
	Key int `json:"key"`
	Tag int `json:"tag"`
}

type byKey []item

func (s byKey) Len() int           { return len(s) }
func (s byKey) Less(i, j int) bool { return s[i].Key < s[j].Key }
func (s byKey) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }

type testCase struct {
	Items   []item `json:"items"`
	Reverse bool   `json:"reverse"`
}

func main() {
	var cases []testCase
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		panic(err)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for _, c := range cases {
		if c.Reverse {
			sort.Sort(sort.Reverse(byKey(c.Items)))
		} else {
			sort.Sort(byKey(c.Items))
		}
		tags := make([]int, len(c.Items))
		for i, it := range c.Items {
			tags[i] = it.Tag
		}
		line, _ := json.Marshal(tags)
		fmt.Fprintln(out, string(line))
	}
}
