// Reads a JSON request body inside a handler rather than in app-wide middleware, so a wrong content
// type or malformed JSON is an error of that handler, counted with its outcome like any other rejection.
import express, { type Request, type Response } from "express";
import { HttpProblem } from "../http/problem";

/** A message is at most 1600 characters; anything near this limit is not a message. */
const BODY_LIMIT_BYTES = 64 * 1024;
const JSON_TYPES = ["application/json", "application/*+json"];

const parseJson = express.json({ limit: BODY_LIMIT_BYTES, strict: true, type: JSON_TYPES });

export async function readJsonBody(req: Request, res: Response): Promise<unknown> {
  if (!req.is(JSON_TYPES)) {
    throw new HttpProblem(415, "Unsupported Media Type", {
      detail: `The request body must be application/json, not ${req.get("content-type") ?? "absent"}.`,
      headers: { "Accept-Post": "application/json" },
    });
  }
  await new Promise<void>((resolve, reject) => {
    parseJson(req, res, (error?: unknown) => (error ? reject(error) : resolve()));
  });
  return req.body;
}
