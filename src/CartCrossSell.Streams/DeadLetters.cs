using System.Text;
using CartCrossSell.Contracts;

namespace CartCrossSell.Streams;

/// <summary>Builds dead-letter envelopes: the reason, the source coordinates and the original bytes.</summary>
public static class DeadLetters
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

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
            Reason = reason,
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
}
