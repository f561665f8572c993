package ksnoop

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseFunc(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want funcSpec
		err  string
	}{
		{in: "vfs_read", want: funcSpec{Name: "vfs_read"}},
		{in: "vfs_read(count)", want: funcSpec{Name: "vfs_read", Custom: true, Args: []argSpec{{Arg: "count"}}}},
		{in: " ip_send_skb ( skb -> len > 128 , skb, return )", want: funcSpec{Name: "ip_send_skb", Custom: true, Args: []argSpec{
			{Arg: "skb", Member: "len", Op: ">", Value: 128, Predicate: ">128"}, {Arg: "skb"}, {Arg: "return"}}}},
		{in: "f(a==0x10,b!=-1,c>=010,d<=5,e<2)", want: funcSpec{Name: "f", Custom: true, Args: []argSpec{
			{Arg: "a", Op: "==", Value: 16, Predicate: "==0x10"},
			{Arg: "b", Op: "!=", Value: 1<<64 - 1, Predicate: "!=-1"},
			{Arg: "c", Op: ">=", Value: 8, Predicate: ">=010"},
			{Arg: "d", Op: "<=", Value: 5, Predicate: "<=5"},
			{Arg: "e", Op: "<", Value: 2, Predicate: "<2"}}}},
		{in: "f(a,,b)", want: funcSpec{Name: "f", Custom: true, Args: []argSpec{{Arg: "a"}, {Arg: "b"}}}},
		{in: "f(a == 18446744073709551615)", want: funcSpec{Name: "f", Custom: true, Args: []argSpec{{Arg: "a", Op: "==", Value: 1<<64 - 1, Predicate: "==18446744073709551615"}}}},
		{in: "", err: "Invalid function specification"},
		{in: "(a)", err: "Invalid function specification"},
		{in: "f()", err: "Invalid function specification"},
		{in: "f(a", err: "Invalid function specification"},
		{in: "f(a))", err: "Invalid function specification"},
		{in: "f(a)x", err: "Invalid function specification"},
		{in: "f.isra", err: "Invalid function specification"},
		{in: "f(a>x)", err: "expected predicate, not '>x'"},
		{in: "f(a>)", err: "expected predicate, not '>'"},
		{in: "f(a=5)", err: "Invalid predicate specification '=5'"},
		{in: "f(a>=>5)", err: "Invalid predicate specification '>=>5'"},
		{in: "f(a==5x)", err: "expected predicate, not '==5x'"},
		{in: "f(a->b->c)", err: "expected predicate, not '->c'"},
		{in: "f(a->)", err: "expected member name"},
		{in: "f(->b)", err: "expected argument name"},
		{in: "f(a,b,c,d,e,return,g)", err: "Too many arguments; up to 6 are supported"},
		{in: strings.Repeat("x", 96), err: "too long"},
		{in: "f(" + strings.Repeat("x", 300) + ")", err: "too long"},
	} {
		got, err := parseFunc(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", tc.in, got, tc.want)
		}
	}
}

// Whatever the user types, the parser returns an error or a specification whose names are
// names, within ksnoop's limits.
func FuzzParseFunc(f *testing.F) {
	for _, s := range []string{"vfs_read", "ip_send_skb(skb->len > 128, skb)", "f(a==0x10,return)", "f(a>=>5)", "f(", "f(a->b->c)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := parseFunc(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error of two lines: %q", err)
			}
			return
		}
		names := []string{spec.Name}
		for _, a := range spec.Args {
			names = append(names, a.Arg)
			if a.Member != "" {
				names = append(names, a.Member)
			}
			if _, ok := predicateFlags[a.Op]; a.Op != "" && !ok {
				t.Errorf("operator %q", a.Op)
			}
		}
		if len(spec.Args) > maxTraces || spec.Custom != (len(spec.Args) > 0) && len(spec.Args) > 0 {
			t.Errorf("%d args, custom %v", len(spec.Args), spec.Custom)
		}
		for _, n := range names {
			if n == "" || len(n) >= maxName || nameLen(n) != len(n) {
				t.Errorf("name %q", n)
			}
		}
	})
}

// info's prototypes, as libbpf-tools' ksnoop prints them for this kernel's BTF.
func TestPrototypes(t *testing.T) {
	for _, tc := range []struct{ fn, want string }{
		{"vfs_read", "ssize_t vfs_read(struct file *file, char *buf, size_t count, loff_t *pos);"},
		{"ksys_read", "ssize_t ksys_read(unsigned int fd, char *buf, size_t count);"},
		{"tcp_sendmsg", "int tcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size);"},
		{"do_sys_openat2", "int do_sys_openat2(int dfd, char *filename, struct open_how *how);"},
	} {
		spec, err := parseFunc(tc.fn)
		if err != nil {
			t.Fatal(err)
		}
		f, err := resolveOne(spec)
		if err != nil {
			t.Skipf("%s: %v", tc.fn, err)
		}
		if got := f.prototype(); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

func TestResolveValues(t *testing.T) {
	spec, err := parseFunc("vfs_read(count == 4097, file->f_mode, return)")
	if err != nil {
		t.Fatal(err)
	}
	f, err := resolveOne(spec)
	if err != nil {
		t.Skip(err)
	}
	if !f.Stash || len(f.Values) != 3 {
		t.Fatalf("stash %v, %d values", f.Stash, len(f.Values))
	}
	if v := f.Values[0]; v.Base != 2 || v.Op != "==" || v.Pred != 4097 || v.Ptr || v.Size != 8 {
		t.Errorf("count: %+v", v)
	}
	if v := f.Values[1]; v.Base != 0 || !v.Member || v.Offset == 0 || v.Size != 4 || v.Name != "file->f_mode" {
		t.Errorf("file->f_mode: %+v", v)
	}
	if v := f.Values[2]; v.Base != returnIndex || v.Name != "return" {
		t.Errorf("return: %+v", v)
	}
	for in, want := range map[string]string{
		"vfs_read(nope)":            "Could not find 'nope' in arguments/return value for 'vfs_read'",
		"vfs_read(file->nope)":      "No member 'nope' found in file",
		"vfs_read(count->x)":        "'size_t' is not a struct/union",
		"vfs_read(file == 1)":       "",
		"no_such_function_bpfutils": "Cannot find function 'no_such_function_bpfutils' in BTF",
	} {
		spec, err := parseFunc(in)
		if err != nil {
			t.Fatal(err)
		}
		_, err = resolveOne(spec)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
}

func resolveOne(spec funcSpec) (*traced, error) {
	funcs, err := resolveAll([]funcSpec{spec})
	if err != nil {
		return nil, err
	}
	return funcs[0], nil
}
