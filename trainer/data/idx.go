package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxIDXBytes bounds the payload of one idx file, so that a corrupt header
// cannot make the reader allocate without limit.
const MaxIDXBytes = 1 << 28

// IDX is a decoded idx file of unsigned bytes (the MNIST format): Dims are
// its dimensions, Data its Dims[0]*Dims[1]*... bytes in row-major order.
type IDX struct {
	Dims []int
	Data []byte
}

// ParseIDX decodes an uncompressed idx file of unsigned bytes with ndims
// dimensions from r. It checks the magic number (0x0000 0x08 ndims), that
// no dimension is zero, that the payload is complete and that no bytes
// follow it. ndims must be in [1, 255].
//
// Memory grows with the data actually read, so a corrupt header claiming a
// huge payload costs little.
func ParseIDX(r io.Reader, ndims int) (*IDX, error) { return parseIDX(r, ndims, -1, nil) }

// parseIDX is ParseIDX; if total >= 0 it is the expected size of the whole
// input (from a gzip trailer), and the payload is allocated at once, by
// alloc if not nil, when the header agrees with it.
func parseIDX(r io.Reader, ndims int, total int64, alloc func(int) []byte) (*IDX, error) {
	if ndims < 1 || ndims > 255 {
		panic("data: ParseIDX: ndims out of range [1, 255]")
	}
	var magic [4]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, fmt.Errorf("idx header: %w", eofAsUnexpected(err))
	}
	want := [4]byte{0, 0, 0x08, byte(ndims)}
	if magic != want {
		return nil, fmt.Errorf("idx header: bad magic number %#08x, want %#08x (unsigned bytes, %d dimensions)",
			binary.BigEndian.Uint32(magic[:]), binary.BigEndian.Uint32(want[:]), ndims)
	}
	dims := make([]int, ndims)
	size := 1
	for i := range dims {
		var d uint32
		if err := binary.Read(r, binary.BigEndian, &d); err != nil {
			return nil, fmt.Errorf("idx header: dimension %d: %w", i, eofAsUnexpected(err))
		}
		if d == 0 {
			return nil, fmt.Errorf("idx header: dimension %d is zero", i)
		}
		if uint64(size)*uint64(d) > MaxIDXBytes {
			return nil, fmt.Errorf("idx header: dimensions give more than %d bytes", MaxIDXBytes)
		}
		dims[i] = int(d)
		size *= int(d)
	}
	out := &IDX{Dims: dims}
	var err error
	if out.Data, err = readPayload(r, size, total == int64(4+4*ndims+size), alloc); err != nil {
		return nil, err
	}
	if err := expectEOF(r); err != nil {
		return nil, fmt.Errorf("idx data: %w after the %d data bytes", err, size)
	}
	return out, nil
}

// ReadIDXFile decodes a gzip-compressed idx file of unsigned bytes with
// ndims dimensions. Errors name the file.
func ReadIDXFile(path string, ndims int) (*IDX, error) { return readIDXFile(path, ndims, nil) }

// readIDXFile is ReadIDXFile with the payload allocated by alloc (if not
// nil) when the file's gzip trailer gives its size.
func readIDXFile(path string, ndims int, alloc func(int) []byte) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	total := gzipSize(f)
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return nil, fmt.Errorf("%s: not a gzip file: %w", path, err)
	}
	zr.Multistream(false)
	d, err := parseIDX(zr, ndims, total, alloc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// readPayload reads exactly size bytes. Unless trusted, the buffer grows
// with the data read instead of being allocated up front (by alloc, if not
// nil).
func readPayload(r io.Reader, size int, trusted bool, alloc func(int) []byte) ([]byte, error) {
	const chunk = 1 << 20
	var buf []byte
	switch {
	case trusted && alloc != nil:
		buf = alloc(size)[:0]
	case trusted:
		buf = make([]byte, 0, size)
	default:
		buf = make([]byte, 0, min(size, chunk))
	}
	for len(buf) < size {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), len(buf)+min(size-len(buf), max(cap(buf), chunk)))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil && len(buf) < size {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("idx data: truncated: got %d of %d bytes: %w", len(buf), size, err)
		}
	}
	return buf, nil
}

// gzipSize returns the uncompressed size recorded in a gzip file's trailer
// (modulo 2^32, as gzip stores it), or -1, and rewinds f.
func gzipSize(f *os.File) int64 {
	defer f.Seek(0, io.SeekStart)
	var t [4]byte
	st, err := f.Stat()
	if err != nil || st.Size() < 18 {
		return -1
	}
	if _, err := f.ReadAt(t[:], st.Size()-4); err != nil {
		return -1
	}
	return int64(binary.LittleEndian.Uint32(t[:]))
}

// expectEOF checks that r has nothing left (a gzip reader also checks its
// checksum here).
func expectEOF(r io.Reader) error {
	var one [1]byte
	for range 100 {
		n, err := r.Read(one[:])
		switch {
		case n > 0:
			return errors.New("unexpected bytes")
		case err == io.EOF:
			return nil
		case err != nil:
			return err
		}
	}
	return io.ErrNoProgress
}

func eofAsUnexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
