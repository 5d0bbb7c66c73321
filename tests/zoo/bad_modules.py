"""Module factories that fail in the ways users' factories do."""
import torch


def raising_factory():
    raise RuntimeError("weights missing")


class _Branchy(torch.nn.Module):
    def forward(self, x):
        if x.sum().item() > 0:  # data-dependent control flow: not traceable
            return x * 2
        return x - 1


def untraceable():
    return _Branchy(), (torch.ones(4),)
