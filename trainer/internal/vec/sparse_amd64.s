//go:build !purego

#include "textflag.h"

// 0, 1, ..., 7 as int32: the lane positions of the first eight values.
DATA lanes<>+0(SB)/4, $0
DATA lanes<>+4(SB)/4, $1
DATA lanes<>+8(SB)/4, $2
DATA lanes<>+12(SB)/4, $3
DATA lanes<>+16(SB)/4, $4
DATA lanes<>+20(SB)/4, $5
DATA lanes<>+24(SB)/4, $6
DATA lanes<>+28(SB)/4, $7
GLOBL lanes<>(SB), RODATA|NOPTR, $32

DATA eight<>+0(SB)/4, $8
GLOBL eight<>(SB), RODATA|NOPTR, $4

// func nonZerosAVX2(idx *int32, vals, x *float32, n int, lut *[256][8]uint8) int
//
// For every eight values of x: compare with zero (not-equal, unordered:
// NaN is non-zero), take the mask's bits, and pack the non-zero lanes'
// values and positions to the front with the permutation lut[mask]; store
// all eight at the current count (the stores never pass the eight values
// read so far) and advance the count by the mask's population. n is a
// multiple of 8, > 0. AVX2, POPCNT.
TEXT ·nonZerosAVX2(SB), NOSPLIT, $0-48
	MOVQ idx+0(FP), DI
	MOVQ vals+8(FP), DX
	MOVQ x+16(FP), SI
	MOVQ n+24(FP), CX
	MOVQ lut+32(FP), R8
	XORQ R9, R9
	VXORPS Y6, Y6, Y6
	VMOVDQU lanes<>(SB), Y7
	VPBROADCASTD eight<>(SB), Y8

loop:
	VMOVUPS (SI), Y0
	VCMPPS $4, Y6, Y0, Y1 // x != 0, unordered (NEQ_UQ)
	VMOVMSKPS Y1, AX
	VPMOVZXBD (R8)(AX*8), Y2
	VPERMPS Y0, Y2, Y3
	VPERMD Y7, Y2, Y4
	VMOVUPS Y3, (DX)(R9*4)
	VMOVDQU Y4, (DI)(R9*4)
	POPCNTL AX, AX
	ADDQ AX, R9
	VPADDD Y8, Y7, Y7
	ADDQ $32, SI
	SUBQ $8, CX
	JNE loop
	MOVQ R9, ret+40(FP)
	VZEROUPPER
	RET

// GATHER_ENTRY adds one entry to the accumulators Y0-Y7: vals[e] (at DX)
// times the 64 columns of src's row idx[e] (idx at SI; src at R11, lds
// bytes in R10), then steps SI and DX to the next entry. Uses AX and Y8.
#define GATHER_ENTRY \
	MOVLQSX (SI), AX \
	IMULQ R10, AX \
	ADDQ R11, AX \
	VBROADCASTSS (DX), Y8 \
	VFMADD231PS (AX), Y8, Y0 \
	VFMADD231PS 32(AX), Y8, Y1 \
	VFMADD231PS 64(AX), Y8, Y2 \
	VFMADD231PS 96(AX), Y8, Y3 \
	VFMADD231PS 128(AX), Y8, Y4 \
	VFMADD231PS 160(AX), Y8, Y5 \
	VFMADD231PS 192(AX), Y8, Y6 \
	VFMADD231PS 224(AX), Y8, Y7 \
	ADDQ $4, SI \
	ADDQ $4, DX

// func gatherAxpy64(n int, idx *int32, vals, src *float32, lds int, dst *float32, alpha float32)
//
// dst[0:64] += alpha · Σ_e vals[e] · src[idx[e]·lds/4 : +64], lds in bytes,
// n > 0: eight accumulators of eight columns, fused multiply-adds over the
// entries in order, then one fused multiply-add by alpha into dst. AVX2,
// FMA.
TEXT ·gatherAxpy64(SB), NOSPLIT, $0-52
	MOVQ n+0(FP), CX
	MOVQ idx+8(FP), SI
	MOVQ vals+16(FP), DX
	MOVQ src+24(FP), R11
	MOVQ lds+32(FP), R10
	MOVQ dst+40(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	// Entries 8 ahead are prefetched while there are any: their rows of
	// src are scattered, and the loads would otherwise wait on the caches.
	MOVQ CX, BX
	SUBQ $8, BX
	JLE gloop

ploop:
	MOVLQSX 32(SI), AX
	IMULQ R10, AX
	ADDQ R11, AX
	PREFETCHT0 (AX)
	PREFETCHT0 64(AX)
	PREFETCHT0 128(AX)
	PREFETCHT0 192(AX)
	GATHER_ENTRY
	DECQ CX
	DECQ BX
	JNZ ploop

gloop:
	GATHER_ENTRY
	DECQ CX
	JNZ gloop

	VBROADCASTSS alpha+48(FP), Y9
	VMOVUPS (DI), Y10
	VMOVUPS 32(DI), Y11
	VMOVUPS 64(DI), Y12
	VMOVUPS 96(DI), Y13
	VFMADD231PS Y0, Y9, Y10
	VFMADD231PS Y1, Y9, Y11
	VFMADD231PS Y2, Y9, Y12
	VFMADD231PS Y3, Y9, Y13
	VMOVUPS Y10, (DI)
	VMOVUPS Y11, 32(DI)
	VMOVUPS Y12, 64(DI)
	VMOVUPS Y13, 96(DI)
	VMOVUPS 128(DI), Y10
	VMOVUPS 160(DI), Y11
	VMOVUPS 192(DI), Y12
	VMOVUPS 224(DI), Y13
	VFMADD231PS Y4, Y9, Y10
	VFMADD231PS Y5, Y9, Y11
	VFMADD231PS Y6, Y9, Y12
	VFMADD231PS Y7, Y9, Y13
	VMOVUPS Y10, 128(DI)
	VMOVUPS Y11, 160(DI)
	VMOVUPS Y12, 192(DI)
	VMOVUPS Y13, 224(DI)
	VZEROUPPER
	RET
