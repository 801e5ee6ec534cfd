//go:build !purego

#include "textflag.h"

DATA maskedOne<>+0(SB)/4, $0x3f800000
GLOBL maskedOne<>(SB), RODATA|NOPTR, $4

// func maskedAVX(out, v, x *float32, n int)
//
// out[i] = v[i] · (1 if x[i] ≥ 0 else 0) for i < n, n a multiple of 8 and
// > 0: the comparison (ordered: NaN gives 0) makes an all-ones or zero
// mask, and-ed with 1.0 it is the factor, multiplied as maskedProd does.
// AVX.
TEXT ·maskedAVX(SB), NOSPLIT, $0-32
	MOVQ out+0(FP), DI
	MOVQ v+8(FP), SI
	MOVQ x+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS maskedOne<>(SB), Y15
	VXORPS Y14, Y14, Y14

loop:
	VMOVUPS (DX), Y0
	VCMPPS $0x1d, Y14, Y0, Y1 // x >= 0, ordered, quiet (GE_OQ)
	VANDPS Y15, Y1, Y1
	VMULPS (SI), Y1, Y2
	VMOVUPS Y2, (DI)
	ADDQ $32, DX
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNE loop
	VZEROUPPER
	RET
