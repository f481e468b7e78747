// The payload converter of workers and workflow bundles: Temporal's default, except that a payload
// it cannot decode (an unknown encoding, or json/plain that is not JSON) becomes a marker string
// instead of an error. A decode error fails the workflow task, and Temporal retries that task
// forever: one garbage signal would wedge a task workflow. As a string, it reaches the handler
// like any other malformed payload, which drops it.
import {
  defaultPayloadConverter,
  type ConverterHint,
  type Payload,
  type PayloadConverter,
  type SerializationContext,
} from '@temporalio/common';

/** What an undecodable payload decodes to: a string no handler accepts as a payload. */
export const UNDECODABLE_PAYLOAD = 'undecodable payload';

class LenientPayloadConverter implements PayloadConverter {
  toPayload<T>(value: T, context?: SerializationContext, hint?: ConverterHint<T>): Payload {
    return defaultPayloadConverter.toPayload(value, context, hint);
  }

  fromPayload<T>(payload: Payload, context?: SerializationContext, hint?: ConverterHint<T>): T {
    try {
      return defaultPayloadConverter.fromPayload<T>(payload, context, hint);
    } catch {
      return UNDECODABLE_PAYLOAD as T;
    }
  }
}

/** Loaded by name through `dataConverter.payloadConverterPath` and `bundleWorkflowCode`. */
export const payloadConverter: PayloadConverter = new LenientPayloadConverter();
