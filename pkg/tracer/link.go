package tracer

// libbpf comes from the system (libbpf-dev); libbpfgo leaves linking it to us.

// #cgo LDFLAGS: -lbpf -lelf -lz -lzstd
import "C"
