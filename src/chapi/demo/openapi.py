"""The OpenAPI 3.1 description of the demo pets API."""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["openapi_document"]

_ERROR = {"$ref": "#/components/responses/Error"}

_DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "chapi demo pets API",
        "version": "1.0.0",
        "description": "A small pets API with bearer auth, shipped with chapi for "
        "examples, tests and benchmarks.",
    },
    "servers": [{"url": "http://127.0.0.1:8000"}],
    "security": [{"bearerAuth": []}],
    "paths": {
        "/health": {
            "get": {
                "operationId": "getHealth",
                "summary": "Report that the service is up",
                "tags": ["health"],
                "security": [],
                "responses": {
                    "200": {
                        "description": "The service is up",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Health"}
                            }
                        },
                    }
                },
            }
        },
        "/pets": {
            "get": {
                "operationId": "listPets",
                "summary": "List pets",
                "tags": ["pets"],
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                    },
                    {
                        "name": "status",
                        "in": "query",
                        "required": False,
                        "schema": {"$ref": "#/components/schemas/PetStatus"},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The pets, oldest first",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Pet"},
                                }
                            }
                        },
                    },
                    "400": _ERROR,
                    "401": _ERROR,
                },
            },
            "post": {
                "operationId": "createPet",
                "summary": "Create a pet",
                "tags": ["pets"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/NewPet"},
                            "example": {"name": "Rex", "tag": "dog"},
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "The pet was created",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Pet"}
                            }
                        },
                    },
                    "400": _ERROR,
                    "401": _ERROR,
                    "422": _ERROR,
                },
            },
        },
        "/pets/{petId}": {
            "parameters": [
                {
                    "name": "petId",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                }
            ],
            "get": {
                "operationId": "getPet",
                "summary": "Get one pet",
                "tags": ["pets"],
                "responses": {
                    "200": {
                        "description": "The pet",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Pet"}
                            }
                        },
                    },
                    "401": _ERROR,
                    "404": _ERROR,
                },
            },
            "put": {
                "operationId": "replacePet",
                "summary": "Replace a pet",
                "tags": ["pets"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/NewPet"}
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "The replaced pet",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Pet"}
                            }
                        },
                    },
                    "400": _ERROR,
                    "401": _ERROR,
                    "404": _ERROR,
                    "422": _ERROR,
                },
            },
            "patch": {
                "operationId": "updatePet",
                "summary": "Change some fields of a pet",
                "tags": ["pets"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/PetPatch"}
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "The updated pet",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Pet"}
                            }
                        },
                    },
                    "400": _ERROR,
                    "401": _ERROR,
                    "404": _ERROR,
                    "422": _ERROR,
                },
            },
            "delete": {
                "operationId": "deletePet",
                "summary": "Delete a pet",
                "tags": ["pets"],
                "responses": {
                    "204": {"description": "The pet was deleted"},
                    "401": _ERROR,
                    "404": _ERROR,
                },
            },
        },
    },
    "components": {
        "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "opaque"}
        },
        "responses": {
            "Error": {
                "description": "What went wrong",
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"}
                    }
                },
            }
        },
        "schemas": {
            "Health": {
                "type": "object",
                "required": ["status"],
                "properties": {"status": {"const": "ok"}},
            },
            "PetStatus": {"type": "string", "enum": ["available", "pending", "sold"]},
            "NewPet": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 100},
                    "tag": {"type": ["string", "null"], "maxLength": 50},
                    "status": {"$ref": "#/components/schemas/PetStatus"},
                },
            },
            "PetPatch": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 100},
                    "tag": {"type": ["string", "null"], "maxLength": 50},
                    "status": {"$ref": "#/components/schemas/PetStatus"},
                },
            },
            "Pet": {
                "type": "object",
                "required": ["id", "name", "tag", "status"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "integer", "minimum": 1},
                    "name": {"type": "string"},
                    "tag": {"type": ["string", "null"]},
                    "status": {"$ref": "#/components/schemas/PetStatus"},
                },
            },
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {"type": "string"},
                    "details": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}


def openapi_document(base_url: str | None = None) -> dict[str, Any]:
    """A fresh copy of the demo API's OpenAPI 3.1 description.

    Args:
        base_url: the server URL to list under ``servers``; the default
            names ``http://127.0.0.1:8000``.
    """
    document = copy.deepcopy(_DOCUMENT)
    if base_url:
        document["servers"] = [{"url": base_url.rstrip("/")}]
    return document
