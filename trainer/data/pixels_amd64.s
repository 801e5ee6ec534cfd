//go:build !purego

#include "textflag.h"

// 255.0 as float32 (0x437f0000), broadcast.
DATA pixelScale255<>+0(SB)/4, $0x437f0000
GLOBL pixelScale255<>(SB), RODATA|NOPTR, $4

// func pixelsAVX2(dst *float32, src *byte, n int)
//
// dst[j] = float32(src[j]) / 255 for j < n (n a multiple of 16, > 0):
// zero-extend 8 bytes to 8 int32, convert (exact), divide (correctly
// rounded, as Go's float32 division). AVX2.
TEXT ·pixelsAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS pixelScale255<>(SB), Y15

loop:
	VPMOVZXBD (SI), Y0
	VPMOVZXBD 8(SI), Y1
	VCVTDQ2PS Y0, Y0
	VCVTDQ2PS Y1, Y1
	VDIVPS Y15, Y0, Y0
	VDIVPS Y15, Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $16, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JNE loop
	VZEROUPPER
	RET
