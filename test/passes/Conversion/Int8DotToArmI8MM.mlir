// RUN: quantc-opt %s --split-input-file --qc-int8-dot-to-arm-i8mm | FileCheck %s
// RUN: quantc-opt %s --qc-cpu-pipeline="vector-lanes=4 arm-i8mm=true" -o /dev/null

// u8 x s8, four byte pairs per i32 lane, 4 lanes: one usdot.
// CHECK-LABEL: func @dot128
// CHECK: %[[D:.*]] = llvm.call_intrinsic "llvm.aarch64.neon.usdot.v4i32.v16i8"(%arg0, %arg1, %arg2) : (vector<4xi32>, vector<16xi8>, vector<16xi8>) -> vector<4xi32>
// CHECK: return %[[D]]
func.func @dot128(%acc: vector<4xi32>, %codes: vector<16xi8>, %x: vector<16xi8>) -> vector<4xi32> {
  %a = arith.extui %codes : vector<16xi8> to vector<16xi32>
  %b = arith.extsi %x : vector<16xi8> to vector<16xi32>
  %p = arith.muli %b, %a : vector<16xi32>
  %g = vector.shape_cast %p : vector<16xi32> to vector<4x4xi32>
  %d = vector.multi_reduction <add>, %g, %acc [1] : vector<4x4xi32> to vector<4xi32>
  return %d : vector<4xi32>
}

// -----

// Not usdot: 16 lanes (wider than NEON), signed x signed, a max reduction.
// CHECK-LABEL: func @not_usdot
// CHECK-NOT: llvm.call_intrinsic
// CHECK-COUNT-3: vector.multi_reduction
func.func @not_usdot(%acc16: vector<16xi32>, %c64: vector<64xi8>,
                     %acc: vector<4xi32>, %c: vector<16xi8>, %x: vector<16xi8>)
    -> (vector<16xi32>, vector<4xi32>, vector<4xi32>) {
  %wa = arith.extui %c64 : vector<64xi8> to vector<64xi32>
  %wb = arith.extsi %c64 : vector<64xi8> to vector<64xi32>
  %wp = arith.muli %wa, %wb : vector<64xi32>
  %wg = vector.shape_cast %wp : vector<64xi32> to vector<16x4xi32>
  %r0 = vector.multi_reduction <add>, %wg, %acc16 [1] : vector<16x4xi32> to vector<16xi32>
  %sa = arith.extsi %c : vector<16xi8> to vector<16xi32>
  %sb = arith.extsi %x : vector<16xi8> to vector<16xi32>
  %sp = arith.muli %sa, %sb : vector<16xi32>
  %sg = vector.shape_cast %sp : vector<16xi32> to vector<4x4xi32>
  %r1 = vector.multi_reduction <add>, %sg, %acc [1] : vector<4x4xi32> to vector<4xi32>
  %ua = arith.extui %c : vector<16xi8> to vector<16xi32>
  %up = arith.muli %ua, %sb : vector<16xi32>
  %ug = vector.shape_cast %up : vector<16xi32> to vector<4x4xi32>
  %r2 = vector.multi_reduction <maxsi>, %ug, %acc [1] : vector<4x4xi32> to vector<4xi32>
  return %r0, %r1, %r2 : vector<16xi32>, vector<4xi32>, vector<4xi32>
}
