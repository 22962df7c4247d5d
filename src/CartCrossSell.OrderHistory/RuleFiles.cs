using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CartCrossSell.Contracts;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CartCrossSell.OrderHistory;

/// <summary>
/// Reads a merchandising rules file (<c>cartxsell rules apply</c>, <c>eval --rules</c>, <c>recommend-batch --rules</c>):
/// JSON (<c>.json</c>) or YAML (anything else), either a list of rules or an object with one field <c>rules</c> holding
/// the list. Every rule is checked against the <c>merchandising-rule</c> contract; each problem names the file and
/// line, the rule (its id, or its position) and the field. Rules come back only when the whole file is clean.
/// </summary>
public static class RuleFiles
{
    private static readonly IReadOnlySet<string> RuleFields = FieldNames(ContractsJson.Default.MerchandisingRuleRecord.Properties);
    private static readonly IReadOnlySet<string> TriggerFields = FieldNames(ContractsJson.Default.MerchandisingTrigger.Properties);

    /// <summary>YAML plain scalars read as numbers only in these fields; elsewhere (skus such as 85123) they are text.</summary>
    private static readonly IReadOnlySet<string> NumericFields = new HashSet<string>(["schemaVersion", "factor", "maxPrice"], StringComparer.Ordinal);

    public static ReadResult<MerchandisingRuleRecord> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var text = File.ReadAllText(path);
        var problems = new List<ReadProblem>();
        List<RawRule> raw;
        try
        {
            raw = path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? FromJson(text) : FromYaml(text);
        }
        catch (JsonException e)
        {
            return Failed(path, (int)(e.LineNumber ?? 0) + 1, $"not valid JSON: {JsonLines.Describe(e)}");
        }
        catch (YamlException e)
        {
            return Failed(path, (int)e.Start.Line, $"not valid YAML: {e.Message}");
        }
        catch (FileShapeException e)
        {
            return Failed(path, e.Line, e.Message);
        }

        var rules = new List<MerchandisingRuleRecord>();
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < raw.Count; i++)
        {
            var r = raw[i];
            var name = r.Node["id"] is JsonValue idValue && idValue.TryGetValue<string>(out var id) ? $"rule '{id}'" : $"rule #{i + 1} (no id)";
            void Problem(int line, string message) => problems.Add(new ReadProblem(path, line, $"{name}: {message}"));
            var unknown = false;
            foreach (var (field, _) in r.Node)
                if (!RuleFields.Contains(field))
                {
                    Problem(r.LineOf(field), $"unknown field '{field}' (fields: {string.Join(", ", RuleFields.Order(StringComparer.Ordinal))})");
                    unknown = true;
                }
            if (r.Node["trigger"] is JsonObject trigger)
                foreach (var (field, _) in trigger)
                    if (!TriggerFields.Contains(field))
                    {
                        Problem(r.LineOf("trigger"), $"unknown field 'trigger.{field}' (fields: skus, categories)");
                        unknown = true;
                    }
            if (unknown) continue;
            MerchandisingRuleRecord? rule;
            try
            {
                rule = r.Node.Deserialize(ContractsJson.Default.MerchandisingRuleRecord);
            }
            catch (JsonException e)
            {
                var field = FieldOf(e.Path);
                // The rule was read into a node first: positions are the node's, not the file's (the rule's line is).
                Problem(r.LineOf(field), field is null ? JsonLines.Describe(e, textAsWritten: false) : $"{field}: {JsonLines.Message(e)}");
                continue;
            }
            if (rule is null)
            {
                Problem(r.Line, "not a rule");
                continue;
            }
            foreach (var error in ContractValidation.Validate(rule)) Problem(r.LineOf(FieldOf(error)), error);
            if (firstLine.TryGetValue(rule.Id, out var earlier))
                Problem(r.Line, $"id appears twice (also on line {earlier}); a later record would replace the earlier one on the topic");
            else firstLine[rule.Id] = r.Line;
            rules.Add(rule);
        }
        if (raw.Count == 0) problems.Add(new ReadProblem(path, 1, "the file holds no rules"));
        return new ReadResult<MerchandisingRuleRecord>(problems.Count == 0 ? rules : [], problems);
    }

    private static ReadResult<MerchandisingRuleRecord> Failed(string path, int line, string message) =>
        new([], [new ReadProblem(path, line, message)]);

    private static IReadOnlySet<string> FieldNames(IEnumerable<System.Text.Json.Serialization.Metadata.JsonPropertyInfo> properties) =>
        properties.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>The top-level field a JSON path ($.trigger.skus[0]) or a validation message ("factor of a boost ...") is about.</summary>
    private static string? FieldOf(string? pathOrMessage)
    {
        if (string.IsNullOrEmpty(pathOrMessage)) return null;
        var text = pathOrMessage.StartsWith("$.", StringComparison.Ordinal) ? pathOrMessage[2..] : pathOrMessage;
        var end = text.IndexOfAny([' ', '.', '[', ':']);
        var field = end < 0 ? text : text[..end];
        return RuleFields.Contains(field) ? field : null;
    }

    /// <summary>One rule of the file: its fields, the line it starts on, and the line of each field.</summary>
    private sealed record RawRule(JsonObject Node, int Line, IReadOnlyDictionary<string, int> FieldLines)
    {
        public int LineOf(string? field) => field is not null && FieldLines.TryGetValue(field, out var line) ? line : Line;
    }

    private sealed class FileShapeException(int line, string message) : Exception(message)
    {
        public int Line { get; } = line;
    }

    private const string ShapeHint = "a rules file is a list of rules, or an object whose only field 'rules' is that list";

    // ---- JSON: values from JsonNode, lines from a Utf8JsonReader pass over the same bytes --------------------------

    private static List<RawRule> FromJson(string text)
    {
        var root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var list = RulesOf(root, 1);
        var bytes = Encoding.UTF8.GetBytes(text);
        var newlines = new List<long>();
        for (var i = 0; i < bytes.Length; i++)
            if (bytes[i] == (byte)'\n') newlines.Add(i);
        int LineAt(long offset)
        {
            var at = newlines.BinarySearch(offset);
            return (at < 0 ? ~at : at) + 1;
        }
        var ruleDepth = root is JsonArray ? 1 : 2;
        var starts = new List<(int Line, Dictionary<string, int> Fields)>();
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.StartObject && reader.CurrentDepth == ruleDepth)
                starts.Add((LineAt(reader.TokenStartIndex), new Dictionary<string, int>(StringComparer.Ordinal)));
            else if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == ruleDepth + 1 && starts.Count > 0)
                starts[^1].Fields.TryAdd(reader.GetString()!, LineAt(reader.TokenStartIndex));
        }
        var rules = new List<RawRule>();
        var objectIndex = 0;
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject rule) throw new FileShapeException(1, $"rule #{i + 1}: not an object");
            var (line, fields) = starts[objectIndex++];
            rules.Add(new RawRule(rule, line, fields));
        }
        return rules;
    }

    private static JsonArray RulesOf(JsonNode? root, int line) => root switch
    {
        JsonArray array => array,
        JsonObject obj when obj.Count == 1 && obj["rules"] is JsonArray array => array,
        _ => throw new FileShapeException(line, ShapeHint),
    };

    // ---- YAML: the representation model keeps every node's line ---------------------------------------------------

    private static List<RawRule> FromYaml(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        if (stream.Documents.Count == 0) return [];
        var root = stream.Documents[0].RootNode;
        var sequence = root switch
        {
            YamlSequenceNode s => s,
            YamlMappingNode m when m.Children.Count == 1 && m.Children.TryGetValue(new YamlScalarNode("rules"), out var inner) && inner is YamlSequenceNode s => s,
            _ => throw new FileShapeException(Line(root), ShapeHint),
        };
        var rules = new List<RawRule>();
        var index = 0;
        foreach (var item in sequence)
        {
            index++;
            if (item is not YamlMappingNode mapping) throw new FileShapeException(Line(item), $"rule #{index}: not a mapping of fields");
            var fields = new Dictionary<string, int>(StringComparer.Ordinal);
            var node = new JsonObject();
            foreach (var (key, value) in mapping.Children)
            {
                var name = ((key as YamlScalarNode)?.Value) ?? throw new FileShapeException(Line(key), $"rule #{index}: a field name must be text");
                fields.TryAdd(name, Line(key));
                node[name] = ToJson(value, NumericFields.Contains(name));
            }
            rules.Add(new RawRule(node, Line(mapping), fields));
        }
        return rules;
    }

    private static int Line(YamlNode node) => (int)node.Start.Line;

    private static JsonNode? ToJson(YamlNode node, bool numeric) => node switch
    {
        YamlScalarNode s when s.Style is ScalarStyle.Plain && s.Value is null or "" or "~" or "null" => null,
        YamlScalarNode s when numeric && s.Style is ScalarStyle.Plain && decimal.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
        YamlScalarNode s => JsonValue.Create(s.Value),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(c => ToJson(c, numeric)).ToArray()),
        YamlMappingNode map => new JsonObject(map.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", ToJson(kv.Value, numeric)))),
        _ => throw new FileShapeException(Line(node), "aliases and tags are not supported in a rules file"),
    };
}
