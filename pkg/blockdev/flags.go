package blockdev

import "strings"

// A request's cmd_flags: the operation in the low 8 bits, modifier flags above.
const opBits = 8

// Modifier flags in the order libbpf-tools prints them, with their bit numbers
// (enum req_flag_bits; unchanged since 4.x for these).
var flagWords = []struct {
	bit  uint
	word string
}{
	{21, "NoWait-"},
	{20, "Background-"},
	{19, "ReadAhead-"},
	{18, "PreFlush-"},
	{17, "FUA-"},
	{16, "Integrity-"},
	{15, "Idle-"},
	{14, "NoMerge-"},
	{13, "Priority-"},
	{12, "Metadata-"},
	{11, "Sync-"},
}

// Operation names by enum req_op value as 6.x kernels number them, where writes are odd (libbpf-
// tools' table keeps the 5.x numbering, which names zone operations wrongly on 6.x).
var opWords = map[uint32]string{
	0:  "Read",
	1:  "Write",
	2:  "Flush",
	3:  "Discard",
	5:  "SecureErase",
	7:  "ZoneAppend",
	9:  "WriteZeroes",
	11: "ZoneOpen",
	13: "ZoneClose",
	15: "ZoneFinish",
	17: "ZoneReset",
	19: "ZoneResetAll",
	34: "DrvIn",
	35: "DrvOut",
}

// FlagWords names a request's cmd_flags the way biolatency -F prints them, e.g. "Sync-Write".
func FlagWords(cmdFlags uint32) string {
	var b strings.Builder
	for _, f := range flagWords {
		if cmdFlags&(1<<f.bit) != 0 {
			b.WriteString(f.word)
		}
	}
	op, ok := opWords[cmdFlags&(1<<opBits-1)]
	if !ok {
		op = "Unknown"
	}
	b.WriteString(op)
	return b.String()
}
