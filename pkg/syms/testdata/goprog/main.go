// Test program for pkg/syms: prints the entry addresses of functions the tests expect, then
// waits for stdin to close.
package main

import (
	"fmt"
	"io"
	"os"
	"reflect"
)

var sink int

//go:noinline
func alpha(n int) int {
	for i := 0; i < n; i++ {
		sink += i * n
	}
	return sink
}

type widget struct{ n int }

//go:noinline
func (w *widget) spin(n int) int {
	for i := 0; i < n; i++ {
		w.n += i
	}
	return w.n
}

func main() {
	fmt.Printf("main.alpha %#x\n", reflect.ValueOf(alpha).Pointer())
	fmt.Printf("main.(*widget).spin %#x\n", reflect.ValueOf((*widget).spin).Pointer())
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	w := &widget{}
	if alpha(1)+w.spin(1) > 1000 {
		os.Exit(1)
	}
}
