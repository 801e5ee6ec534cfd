// Package model holds the network the trainer trains and everything that
// touches Gorgonia: a multi-layer perceptron's parameters (mlp.go), its
// compiled graphs (graph.go: forward, score, training and tail graphs), the
// first layer's gradient product of a tail graph (firstlayer.go), the
// gradients a run leaves (grads.go), the optimisers (optimizer.go, with
// plain SGD in sgd.go on the worker pool of pool.go), the tensor engine's
// own log-softmax (logsoftmax.go) and ReLU mask (relumask.go), the tape
// machine rewind (rewind.go) and the BLAS selection of the build
// (blas_*.go).
//
// It is internal to the trainer: the rest of the program sees configs,
// events and statistics, never a tensor.
package model
