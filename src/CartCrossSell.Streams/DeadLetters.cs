using System.Security.Cryptography;
using System.Text;
using CartCrossSell.Contracts;

namespace CartCrossSell.Streams;

/// <summary>A dead letter ready to send: its record key and encoded envelope, together within the producer's limit.</summary>
public sealed record DeadLetterRecord(string Key, DeadLetter Envelope, byte[] Value);

/// <summary>
/// Builds dead-letter envelopes: the reason, the source coordinates and the original bytes. An envelope never exceeds
/// what the producer accepts: JSON escaping can make the original up to six times larger (a quote is written as
/// <c>\u0022</c>), so a value well under the broker's limit can yield an envelope far above it. Such an envelope
/// carries the start of the original with its size and SHA-256; the coordinates fetch the whole of it.
/// </summary>
public static class DeadLetters
{
    /// <summary>Room left for the record's framing (lengths, timestamp, attributes) on top of key and value.</summary>
    public const int RecordOverheadBytes = 1024;

    /// <summary>A source key longer than this (UTF-8 bytes) is not used as the dead letter's key; the coordinates are.</summary>
    public const int MaxKeyBytes = 1024;

    /// <summary>Reasons are cut to this many characters (a parser's message can quote a whole hostile input).</summary>
    public const int MaxReasonChars = 2048;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The envelope as a record no larger than <paramref name="maxRecordBytes"/> (key plus value plus framing).</summary>
    public static DeadLetterRecord Record(string kind, string reason, RecordCoordinates source, string? key, byte[]? payload, string processor,
        DateTimeOffset now, int maxRecordBytes)
    {
        var coordinates = $"{source.Topic}-{source.Partition}-{source.Offset}";
        var usableKey = key is not null && Encoding.UTF8.GetByteCount(key) <= MaxKeyBytes ? key : null;
        var recordKey = usableKey ?? coordinates;
        var envelope = Envelope(kind, reason, source, usableKey ?? Cut(key, MaxKeyBytes / 4), payload, processor, now);
        var value = ContractCodecs.DeadLetter.Encode(envelope);
        var budget = maxRecordBytes - RecordOverheadBytes - Encoding.UTF8.GetByteCount(recordKey);
        if (value.Length <= budget || envelope.Payload is null) return new DeadLetterRecord(recordKey, envelope, value);

        var original = envelope.Payload;
        var truncated = envelope with
        {
            Payload = "", PayloadTruncated = true, PayloadBytes = payload!.LongLength,
            PayloadSha256 = Convert.ToHexStringLower(SHA256.HashData(payload)),
        };
        var fixedBytes = ContractCodecs.DeadLetter.Encode(truncated).Length;
        // Bytes per character of the escaped original, measured, then shrunk until the envelope fits.
        var perChar = Math.Max(1.0, (double)(value.Length - fixedBytes) / original.Length);
        var chars = (int)Math.Min(original.Length, (budget - fixedBytes) / perChar);
        while (chars > 0)
        {
            var candidate = truncated with { Payload = Prefix(original, chars, envelope.PayloadEncoding) };
            var encoded = ContractCodecs.DeadLetter.Encode(candidate);
            if (encoded.Length <= budget) return new DeadLetterRecord(recordKey, candidate, encoded);
            chars = (int)(chars * Math.Min(0.95, (double)budget / encoded.Length));
        }
        return new DeadLetterRecord(recordKey, truncated, ContractCodecs.DeadLetter.Encode(truncated));
    }

    public static DeadLetter Envelope(string kind, string reason, RecordCoordinates source, string? key, byte[]? payload, string processor, DateTimeOffset now)
    {
        string? text = null;
        var encoding = "utf8";
        if (payload is not null)
        {
            try
            {
                text = StrictUtf8.GetString(payload);
            }
            catch (DecoderFallbackException)
            {
                text = Convert.ToBase64String(payload);
                encoding = "base64";
            }
        }
        return new DeadLetter
        {
            Kind = kind,
            Reason = Cut(reason, MaxReasonChars)!,
            SourceTopic = source.Topic,
            SourcePartition = source.Partition,
            SourceOffset = source.Offset,
            SourceTimestamp = source.Timestamp,
            Key = key,
            Payload = text,
            PayloadEncoding = encoding,
            Processor = processor,
            DeadLetteredAt = now,
        };
    }

    /// <summary>The first <paramref name="chars"/> characters, never splitting a surrogate pair or a base64 quantum.</summary>
    private static string Prefix(string text, int chars, string encoding)
    {
        if (encoding == "base64") return text[..(chars / 4 * 4)];
        if (chars < text.Length && char.IsHighSurrogate(text[chars - 1])) chars--;
        return text[..chars];
    }

    private static string? Cut(string? text, int chars) =>
        text is null || text.Length <= chars ? text : Prefix(text, chars, "utf8") + "…";
}
