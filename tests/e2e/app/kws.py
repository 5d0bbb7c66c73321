"""A small keyword-spotting CNN: 1x40x32 log-mel frames in, 12 keyword scores out."""
import torch


class KeywordSpotter(torch.nn.Module):
    def __init__(self, keywords: int = 12):
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(1, 8, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(8, 16, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = torch.nn.Linear(16, keywords)

    def forward(self, frames):
        return self.classifier(self.features(frames).flatten(1))


def make_kws():
    torch.manual_seed(7)
    return KeywordSpotter().eval(), (torch.randn(1, 1, 40, 32),)
