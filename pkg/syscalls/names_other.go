//go:build !amd64

package syscalls

// table is empty where no table was generated: syscalls show by number.
const table = ""
