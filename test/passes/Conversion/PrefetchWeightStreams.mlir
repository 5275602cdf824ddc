// RUN: quantc-opt %s --qc-prefetch-weight-streams | FileCheck %s
// RUN: quantc-opt %s --qc-prefetch-weight-streams=distance=64 | FileCheck %s --check-prefix=ROW

memref.global "private" constant @packed : memref<8x512x64xi8> = dense<1>
memref.global "private" @scratch : memref<8x512x64xi8> = dense<0>

// The weight stream of the innermost loop is prefetched 2048 bytes (32
// rows of 64 bytes) ahead along the index the loop varies, clamped to the
// last row.
// CHECK-LABEL: func.func @stream
// CHECK: scf.for %[[C:[a-z0-9]+]] =
// CHECK: %[[AHEAD:.*]] = arith.constant 32 : index
// CHECK: %[[SHIFT:.*]] = arith.addi %[[C]], %[[AHEAD]] : index
// CHECK: %[[LAST:.*]] = arith.constant 511 : index
// CHECK: %[[AT:.*]] = arith.minui %[[SHIFT]], %[[LAST]] : index
// CHECK: memref.prefetch %{{.*}}[%{{.*}}, %[[AT]], %{{.*}}], read, locality<3>, data : memref<8x512x64xi8>
// CHECK-NEXT: vector.transfer_read %{{.*}}[%{{.*}}, %[[C]], %{{.*}}]
// ROW-LABEL: func.func @stream
// ROW: arith.constant 1 : index
// ROW: memref.prefetch
func.func @stream(%rb: index) -> vector<64xi8> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c512 = arith.constant 512 : index
  %pad = arith.constant 0 : i8
  %zero = arith.constant dense<0> : vector<64xi8>
  %w = memref.get_global @packed : memref<8x512x64xi8>
  %r = scf.for %c = %c0 to %c512 step %c1 iter_args(%acc = %zero) -> vector<64xi8> {
    %v = vector.transfer_read %w[%rb, %c, %c0], %pad {in_bounds = [true]} : memref<8x512x64xi8>, vector<64xi8>
    %s = arith.addi %acc, %v : vector<64xi8>
    scf.yield %s : vector<64xi8>
  }
  return %r : vector<64xi8>
}

// Not weights: a mutable global, a function argument, a read outside any
// loop, and a loop that is not innermost get no prefetch.
// CHECK-LABEL: func.func @not_weights
// CHECK-NOT: memref.prefetch
// CHECK: return
func.func @not_weights(%arg: memref<8x512x64xi8>, %rb: index) -> vector<64xi8> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c512 = arith.constant 512 : index
  %pad = arith.constant 0 : i8
  %zero = arith.constant dense<0> : vector<64xi8>
  %m = memref.get_global @scratch : memref<8x512x64xi8>
  %w = memref.get_global @packed : memref<8x512x64xi8>
  %outside = vector.transfer_read %w[%rb, %c0, %c0], %pad {in_bounds = [true]} : memref<8x512x64xi8>, vector<64xi8>
  %r = scf.for %c = %c0 to %c512 step %c1 iter_args(%acc = %outside) -> vector<64xi8> {
    %a = vector.transfer_read %m[%rb, %c, %c0], %pad {in_bounds = [true]} : memref<8x512x64xi8>, vector<64xi8>
    %b = vector.transfer_read %arg[%rb, %c, %c0], %pad {in_bounds = [true]} : memref<8x512x64xi8>, vector<64xi8>
    %s = arith.addi %a, %b : vector<64xi8>
    %t = arith.addi %acc, %s : vector<64xi8>
    scf.yield %t : vector<64xi8>
  }
  %o = scf.for %i = %c0 to %c1 step %c1 iter_args(%acc = %r) -> vector<64xi8> {
    %v = vector.transfer_read %w[%i, %c0, %c0], %pad {in_bounds = [true]} : memref<8x512x64xi8>, vector<64xi8>
    %inner = scf.for %j = %c0 to %c1 step %c1 iter_args(%x = %v) -> vector<64xi8> {
      scf.yield %x : vector<64xi8>
    }
    %s = arith.addi %acc, %inner : vector<64xi8>
    scf.yield %s : vector<64xi8>
  }
  return %o : vector<64xi8>
}
