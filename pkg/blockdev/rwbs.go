package blockdev

// Request operation and flag bits of cmd_flags, with the values libbpf-tools decodes (its
// blk_types.h); the op numbers and these flag bits are the same in every kernel since 4.10.
const (
	reqOpMask        = 0xff
	reqOpRead        = 0
	reqOpWrite       = 1
	reqOpFlush       = 2
	reqOpDiscard     = 3
	reqOpSecureErase = 5
	reqOpWriteSame   = 7 // reused by REQ_OP_ZONE_APPEND since 5.8: still a write

	reqSync     = 1 << 11
	reqMeta     = 1 << 12
	reqFUA      = 1 << 17
	reqPreflush = 1 << 18
	reqRahead   = 1 << 19
)

// AppendRWBS appends the T column: an optional F (preflush), the operation, then F (FUA),
// A (readahead), S (sync) and M (metadata) when set.
func AppendRWBS(b []byte, flags uint32) []byte {
	if flags&reqPreflush != 0 {
		b = append(b, 'F')
	}
	switch flags & reqOpMask {
	case reqOpWrite, reqOpWriteSame:
		b = append(b, 'W')
	case reqOpDiscard:
		b = append(b, 'D')
	case reqOpSecureErase:
		b = append(b, 'D', 'E')
	case reqOpFlush:
		b = append(b, 'F')
	case reqOpRead:
		b = append(b, 'R')
	default:
		b = append(b, 'N')
	}
	if flags&reqFUA != 0 {
		b = append(b, 'F')
	}
	if flags&reqRahead != 0 {
		b = append(b, 'A')
	}
	if flags&reqSync != 0 {
		b = append(b, 'S')
	}
	if flags&reqMeta != 0 {
		b = append(b, 'M')
	}
	return b
}
