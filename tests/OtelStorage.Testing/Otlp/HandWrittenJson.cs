namespace OtelStorage.Testing.Otlp;

public static class HandWrittenJson
{
    /// <summary>
    /// Hand-written OTLP JSON as exporters send it: hex IDs in upper and lower case, 64-bit integers as strings and
    /// as numbers, enums as names and as integers, snake_case as well as lowerCamelCase keys, and unknown fields.
    /// </summary>
    public const string Request = """
        {
          "resourceSpans": [{
            "resource": { "attributes": [{ "key": "service.name", "value": { "stringValue": "checkout" } }], "futureField": 1 },
            "schemaUrl": "https://opentelemetry.io/schemas/1.30.0",
            "scope_spans": [{
              "scope": { "name": "manual", "version": "0.1" },
              "spans": [
                {
                  "traceId": "5B8EFFF798038103D269B633813FC60C",
                  "spanId": "EEE19B7EC3C1B174",
                  "parentSpanId": "eee19b7ec3c1b173",
                  "traceState": "k=v",
                  "flags": 257,
                  "name": "GET /cart",
                  "kind": "SPAN_KIND_SERVER",
                  "startTimeUnixNano": "1764057600000000000",
                  "end_time_unix_nano": 1764057600250000000,
                  "attributes": [
                    { "key": "http.response.status_code", "value": { "intValue": "200" } },
                    { "key": "retries", "value": { "intValue": 3 } },
                    { "key": "payload", "value": { "bytesValue": "AQID" } },
                    { "key": "tags", "value": { "arrayValue": { "values": [{ "stringValue": "a" }, { "boolValue": true }] } } },
                    { "key": "map", "value": { "kvlistValue": { "values": [{ "key": "x", "value": { "doubleValue": 1.5 } }] } } }
                  ],
                  "events": [{ "timeUnixNano": "1764057600100000000", "name": "checkpoint", "attributes": [] }],
                  "links": [{ "trace_id": "0af7651916cd43dd8448eb211c80319c", "span_id": "B7AD6B7169203331", "traceState": "l=1", "flags": 1 }],
                  "status": { "code": 2, "message": "failed" },
                  "somethingNew": { "nested": [1, 2, 3] }
                },
                {
                  "traceId": "5b8efff798038103d269b633813fc60c",
                  "spanId": "eee19b7ec3c1b173",
                  "name": "root",
                  "kind": 1,
                  "startTimeUnixNano": 1764057600000000000,
                  "endTimeUnixNano": "1764057600300000000",
                  "status": { "code": "STATUS_CODE_OK" }
                }
              ]
            }]
          }]
        }
        """;
}
