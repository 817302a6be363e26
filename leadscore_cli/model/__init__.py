"""The scoring model: its data types, TOML reader/validator and writer."""

from leadscore_cli.model.loader import load_model, model_from_dict, parse_model
from leadscore_cli.model.schema import Model, Rule

__all__ = ["Model", "Rule", "load_model", "model_from_dict", "parse_model"]
