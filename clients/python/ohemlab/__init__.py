"""OHEM Lab client: feed a training run you write yourself into the OHEM Lab
dashboard (``ohemlab serve --source external``) and take its OHEM settings
back live.

``ohemlab.Client`` speaks the ingest protocol (docs/protocol.md, "Ingest")
with the standard library only. ``ohemlab.torch.OHEMLoss`` (needs PyTorch) is
a drop-in for the usual ``NLL_OHEM`` loss that reports every batch.
"""

from .client import Client, ClientError

__all__ = ["Client", "ClientError"]
__version__ = "0.1.0"
