"""Query/Retrieve in pure code: the PS3.4 C.2.2.2 matching rules, the information
models and the SQLite index the reference SCP (:mod:`dicomactors.apps.qrscp`) uses."""

from dicomactors.qr.index import Entity, Index, StoredInstance, attributes_of
from dicomactors.qr.matching import Matcher, MatchKind, matcher_for
from dicomactors.qr.model import InformationModel, Level, Query, QueryError, model_of, parse_query

__all__ = [
    "Entity",
    "Index",
    "InformationModel",
    "Level",
    "MatchKind",
    "Matcher",
    "Query",
    "QueryError",
    "StoredInstance",
    "attributes_of",
    "matcher_for",
    "model_of",
    "parse_query",
]
