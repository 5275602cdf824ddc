// RUN: quantc-opt %s --split-input-file --qc-int8-dot-to-x86-vnni | FileCheck %s
// RUN: quantc-opt %s --qc-cpu-pipeline="x86-vnni=true" -o /dev/null

// u8 x s8, four byte pairs per i32 lane: one vpdpbusd of the vector's width.
// CHECK-LABEL: func @dot512
// CHECK: %[[D:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%arg0, %arg1, %arg2) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// CHECK: return %[[D]]
func.func @dot512(%acc: vector<16xi32>, %codes: vector<64xi8>, %x: vector<64xi8>) -> vector<16xi32> {
  %a = arith.extui %codes : vector<64xi8> to vector<64xi32>
  %b = arith.extsi %x : vector<64xi8> to vector<64xi32>
  %p = arith.muli %b, %a : vector<64xi32>
  %g = vector.shape_cast %p : vector<64xi32> to vector<16x4xi32>
  %d = vector.multi_reduction <add>, %g, %acc [1] : vector<16x4xi32> to vector<16xi32>
  return %d : vector<16xi32>
}

// -----

// CHECK-LABEL: func @dot128
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.128"
func.func @dot128(%acc: vector<4xi32>, %codes: vector<16xi8>, %x: vector<16xi8>) -> vector<4xi32> {
  %a = arith.extui %codes : vector<16xi8> to vector<16xi32>
  %b = arith.extsi %x : vector<16xi8> to vector<16xi32>
  %p = arith.muli %a, %b : vector<16xi32>
  %g = vector.shape_cast %p : vector<16xi32> to vector<4x4xi32>
  %d = vector.multi_reduction <add>, %g, %acc [1] : vector<4x4xi32> to vector<4xi32>
  return %d : vector<4xi32>
}

// -----

// Not vpdpbusd: signed x signed, a max reduction, groups of 2, 32 lanes.
// CHECK-LABEL: func @not_vnni
// CHECK-NOT: llvm.call_intrinsic
// CHECK-COUNT-4: vector.multi_reduction
func.func @not_vnni(%acc: vector<16xi32>, %c: vector<64xi8>, %x: vector<64xi8>,
                    %acc2: vector<32xi32>, %c2: vector<64xi8>, %acc32: vector<32xi32>, %c4: vector<128xi8>)
    -> (vector<16xi32>, vector<16xi32>, vector<32xi32>, vector<32xi32>) {
  %sa = arith.extsi %c : vector<64xi8> to vector<64xi32>
  %sb = arith.extsi %x : vector<64xi8> to vector<64xi32>
  %sp = arith.muli %sa, %sb : vector<64xi32>
  %sg = vector.shape_cast %sp : vector<64xi32> to vector<16x4xi32>
  %r0 = vector.multi_reduction <add>, %sg, %acc [1] : vector<16x4xi32> to vector<16xi32>
  %ua = arith.extui %c : vector<64xi8> to vector<64xi32>
  %up = arith.muli %ua, %sb : vector<64xi32>
  %ug = vector.shape_cast %up : vector<64xi32> to vector<16x4xi32>
  %r1 = vector.multi_reduction <maxsi>, %ug, %acc [1] : vector<16x4xi32> to vector<16xi32>
  %g2 = vector.shape_cast %up : vector<64xi32> to vector<32x2xi32>
  %r2 = vector.multi_reduction <add>, %g2, %acc2 [1] : vector<32x2xi32> to vector<32xi32>
  %wa = arith.extui %c4 : vector<128xi8> to vector<128xi32>
  %wb = arith.extsi %c4 : vector<128xi8> to vector<128xi32>
  %wp = arith.muli %wa, %wb : vector<128xi32>
  %wg = vector.shape_cast %wp : vector<128xi32> to vector<32x4xi32>
  %r3 = vector.multi_reduction <add>, %wg, %acc32 [1] : vector<32x4xi32> to vector<32xi32>
  return %r0, %r1, %r2, %r3 : vector<16xi32>, vector<16xi32>, vector<32xi32>, vector<32xi32>
}
