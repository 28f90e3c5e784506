"""digitpad: a desktop drawing pad that recognises handwritten digits.

Layers, inside out (the README's "For developers"): preprocessing -> data -> model/predict
-> training -> ui -> cli. Nothing here imports Qt or TensorFlow at import time.
"""

__version__ = "0.1.0"
