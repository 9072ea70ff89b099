package upload

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Removing metadata without re-encoding: the original stays pixel for
// pixel what the editor uploaded, but loses what a phone or an editing
// program wrote about it — the EXIF block (camera, time, and the GPS
// position: personal data on a public site), XMP, IPTC, comments, text
// chunks and thumbnails. What shapes how the image looks stays: colour
// profiles, the Adobe colour-transform marker, and the orientation, which
// is written back as a minimal EXIF block holding only that.

var errMalformed = errors.New("malformed image file")

// StripMetadata returns data without its metadata and the EXIF orientation
// it had (1 when none).
func StripMetadata(ct string, data []byte) ([]byte, int, error) {
	switch ct {
	case JPEG:
		return stripJPEG(data)
	case PNG:
		out, err := stripPNG(data)
		return out, 1, err
	case GIF:
		out, err := stripGIF(data)
		return out, 1, err
	case WebP:
		return stripWebP(data)
	}
	return nil, 1, fmt.Errorf("not an image type: %s", ct)
}

// stripJPEG keeps the segments that decode the image (tables, frame, scans),
// the JFIF header, an ICC profile and the Adobe marker, and drops every
// other application segment (APP1 EXIF/XMP, APP13 IPTC, APP2 multi-picture
// data…) and comments. Whatever follows the end of the image — where
// multi-picture files keep further JPEGs with their own EXIF — goes too.
func stripJPEG(b []byte) ([]byte, int, error) {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return nil, 1, errMalformed
	}
	out := make([]byte, 0, len(b))
	out = append(out, 0xFF, 0xD8)
	insertAt := len(out) // where the orientation block goes: after SOI and a leading JFIF header
	orientation := 1
	i := 2
	for i < len(b) {
		if b[i] != 0xFF {
			return nil, 1, errMalformed
		}
		for i < len(b) && b[i] == 0xFF { // fill bytes
			i++
		}
		if i >= len(b) {
			return nil, 1, errMalformed
		}
		m := b[i]
		i++
		switch {
		case m == 0xD9: // end of image
			out = append(out, 0xFF, 0xD9)
			if orientation > 1 {
				out = append(out[:insertAt], append(jpegOrientationSegment(orientation), out[insertAt:]...)...)
			}
			return out, orientation, nil
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7): // no length
			out = append(out, 0xFF, m)
			continue
		}
		if i+2 > len(b) {
			return nil, 1, errMalformed
		}
		n := int(binary.BigEndian.Uint16(b[i:]))
		if n < 2 || i+n > len(b) {
			return nil, 1, errMalformed
		}
		seg, payload := b[i:i+n], b[i+2:i+n]
		i += n
		keep := true
		switch {
		case m == 0xE0:
			keep = bytes.HasPrefix(payload, []byte("JFIF\x00"))
		case m == 0xE1:
			if t, ok := bytes.CutPrefix(payload, []byte("Exif\x00\x00")); ok && orientation == 1 {
				orientation = tiffOrientation(t)
			}
			keep = false
		case m == 0xE2:
			keep = bytes.HasPrefix(payload, []byte("ICC_PROFILE\x00"))
		case m == 0xEE: // Adobe: says how the colours are stored
		case m >= 0xE3 && m <= 0xEF, m == 0xFE:
			keep = false
		}
		if keep {
			leading := len(out) == 2
			out = append(out, 0xFF, m)
			out = append(out, seg...)
			if m == 0xE0 && leading {
				insertAt = len(out)
			}
		}
		if m == 0xDA { // start of scan: entropy-coded data up to the next marker
			j := i
			for j < len(b) {
				if b[j] == 0xFF && j+1 < len(b) {
					if next := b[j+1]; next != 0x00 && (next < 0xD0 || next > 0xD7) {
						break
					}
					j += 2
					continue
				}
				j++
			}
			out = append(out, b[i:j]...)
			i = j
		}
	}
	return nil, 1, errMalformed // no end of image
}

// jpegOrientationSegment is an APP1 EXIF segment holding only the orientation.
func jpegOrientationSegment(o int) []byte {
	t := orientationTIFF(o)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(2+6+len(t)))
	seg = append(seg, "Exif\x00\x00"...)
	return append(seg, t...)
}

// orientationTIFF is the smallest EXIF (TIFF) structure: one directory
// with one entry, the orientation.
func orientationTIFF(o int) []byte {
	t := []byte("MM\x00\x2a\x00\x00\x00\x08" + // big-endian TIFF, first directory at 8
		"\x00\x01" + // one entry
		"\x01\x12\x00\x03\x00\x00\x00\x01" + // tag 0x0112 (orientation), SHORT, count 1
		"\x00\x00\x00\x00" + // the value, set below
		"\x00\x00\x00\x00") // no next directory
	binary.BigEndian.PutUint16(t[18:], uint16(o))
	return t
}

// tiffOrientation reads the orientation (tag 0x0112) of the first
// directory of an EXIF TIFF structure; 1 when absent or unreadable.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(t[2:]) != 42 {
		return 1
	}
	off := int64(bo.Uint32(t[4:]))
	if off+2 > int64(len(t)) {
		return 1
	}
	n := int64(bo.Uint16(t[off:]))
	for k := int64(0); k < n; k++ {
		e := off + 2 + 12*k
		if e+12 > int64(len(t)) {
			break
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 {
			if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
		}
	}
	return 1
}

// pngDropped are the PNG chunks that hold text and metadata.
var pngDropped = map[string]bool{"eXIf": true, "tEXt": true, "zTXt": true, "iTXt": true, "tIME": true}

func stripPNG(b []byte) ([]byte, error) {
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(b, []byte(sig)) {
		return nil, errMalformed
	}
	out := append(make([]byte, 0, len(b)), sig...)
	for i := len(sig); ; {
		if i+12 > len(b) {
			return nil, errMalformed
		}
		n := int64(binary.BigEndian.Uint32(b[i:]))
		end := int64(i) + 12 + n
		if end > int64(len(b)) {
			return nil, errMalformed
		}
		typ := string(b[i+4 : i+8])
		if !pngDropped[typ] {
			out = append(out, b[i:end]...)
		}
		if typ == "IEND" {
			return out, nil
		}
		i = int(end)
	}
}

// stripGIF drops comment extensions and application extensions other than
// the looping ones (XMP travels in one).
func stripGIF(b []byte) ([]byte, error) {
	if len(b) < 13 || (string(b[:6]) != "GIF87a" && string(b[:6]) != "GIF89a") {
		return nil, errMalformed
	}
	i := 13
	if b[10]&0x80 != 0 {
		i += 3 << ((b[10] & 7) + 1)
	}
	if i > len(b) {
		return nil, errMalformed
	}
	out := append(make([]byte, 0, len(b)), b[:i]...)
	// subBlocks returns the index after the data sub-blocks starting at j.
	subBlocks := func(j int) (int, error) {
		for {
			if j >= len(b) {
				return 0, errMalformed
			}
			n := int(b[j])
			j++
			if n == 0 {
				return j, nil
			}
			j += n
		}
	}
	for i < len(b) {
		switch b[i] {
		case 0x3B: // trailer
			return append(out, 0x3B), nil
		case 0x21: // extension
			if i+2 > len(b) {
				return nil, errMalformed
			}
			end, err := subBlocks(i + 2)
			if err != nil {
				return nil, err
			}
			keep := true
			switch b[i+1] {
			case 0xFE:
				keep = false
			case 0xFF:
				app := b[i+2 : min(i+14, len(b))]
				keep = bytes.Equal(app, []byte("\x0bNETSCAPE2.0")) || bytes.Equal(app, []byte("\x0bANIMEXTS1.0"))
			}
			if keep {
				out = append(out, b[i:end]...)
			}
			i = end
		case 0x2C: // image
			j := i + 10
			if j > len(b) {
				return nil, errMalformed
			}
			if b[i+9]&0x80 != 0 {
				j += 3 << ((b[i+9] & 7) + 1)
			}
			end, err := subBlocks(j + 1) // after the LZW minimum code size
			if err != nil {
				return nil, err
			}
			out = append(out, b[i:end]...)
			i = end
		default:
			return nil, errMalformed
		}
	}
	return nil, errMalformed // no trailer
}

// stripWebP drops the EXIF and XMP chunks (and their flags in the VP8X
// header); an orientation other than 1 is kept as a minimal EXIF chunk.
func stripWebP(b []byte) ([]byte, int, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return nil, 1, errMalformed
	}
	out := append(make([]byte, 0, len(b)), b[:12]...)
	orientation := 1
	vp8x := -1 // where the VP8X payload is in out
	for i := 12; i < len(b); {
		if i+8 > len(b) {
			return nil, 1, errMalformed
		}
		fourcc := string(b[i : i+4])
		n := int64(binary.LittleEndian.Uint32(b[i+4:]))
		end := int64(i) + 8 + n + n%2
		if int64(i)+8+n > int64(len(b)) {
			return nil, 1, errMalformed
		}
		end = min(end, int64(len(b)))
		switch fourcc {
		case "EXIF":
			t := b[i+8 : int64(i)+8+n]
			t, _ = bytes.CutPrefix(t, []byte("Exif\x00\x00"))
			orientation = tiffOrientation(t)
		case "XMP ":
		default:
			if fourcc == "VP8X" && n >= 10 {
				vp8x = len(out) + 8
			}
			out = append(out, b[i:end]...)
		}
		i = int(end)
	}
	if vp8x >= 0 {
		out[vp8x] &^= 0x08 | 0x04 // EXIF, XMP
		if orientation > 1 {
			out[vp8x] |= 0x08
			t := orientationTIFF(orientation)
			chunk := []byte("EXIF\x00\x00\x00\x00")
			binary.LittleEndian.PutUint32(chunk[4:], uint32(len(t)))
			out = append(append(out, chunk...), t...) // even length: no padding
		}
	} else {
		orientation = 1 // a simple WebP cannot carry EXIF
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out, orientation, nil
}
