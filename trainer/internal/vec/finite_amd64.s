//go:build !purego

#include "textflag.h"

// The exponent bits of a float32, and the bit they carry into when they
// are all ones and 0x00800000 is added.
DATA finiteExp<>+0(SB)/4, $0x7f800000
GLOBL finiteExp<>(SB), RODATA|NOPTR, $4
DATA finiteOne<>+0(SB)/4, $0x00800000
GLOBL finiteOne<>(SB), RODATA|NOPTR, $4

// func allFiniteAVX2(x *float32, n int) bool
//
// For every value: (bits & 0x7f800000) + 0x00800000 has its sign bit set
// exactly when the exponent is all ones (NaN or ±Inf). The sums are or-ed
// together, 32 values per iteration, and the sign bits tested at the end.
// n is a multiple of 32, > 0. AVX2.
TEXT ·allFiniteAVX2(SB), NOSPLIT, $0-17
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VPBROADCASTD finiteExp<>(SB), Y14
	VPBROADCASTD finiteOne<>(SB), Y15
	VPXOR Y8, Y8, Y8
	VPXOR Y9, Y9, Y9

loop:
	VPAND (SI), Y14, Y0
	VPAND 32(SI), Y14, Y1
	VPAND 64(SI), Y14, Y2
	VPAND 96(SI), Y14, Y3
	VPADDD Y15, Y0, Y0
	VPADDD Y15, Y1, Y1
	VPADDD Y15, Y2, Y2
	VPADDD Y15, Y3, Y3
	VPOR Y0, Y8, Y8
	VPOR Y1, Y9, Y9
	VPOR Y2, Y8, Y8
	VPOR Y3, Y9, Y9
	ADDQ $128, SI
	SUBQ $32, CX
	JNE loop

	VPOR Y9, Y8, Y8
	VMOVMSKPS Y8, AX
	TESTL AX, AX
	SETEQ ret+16(FP)
	VZEROUPPER
	RET
