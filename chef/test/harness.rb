# What the cookbook's test tools share (render.rb renders one template, compile.rb compiles a run
# list): attributes/default.rb's values as a tree, Chef's precedence levels merged over it, a
# node that refuses to read an attribute default.rb does not define, and ERB rendering with a
# template's @variables checked against the ones it uses. Plain Ruby: no Chef runs here.
require 'erb'
require 'json'

module Harness
  COOKBOOK = File.expand_path('..', __dir__)
  TEMPLATES = File.join(COOKBOOK, 'templates', 'default')

  # A refusal: a message for the test to read, without a backtrace.
  class Refused < StandardError; end

  # attributes/default.rb's `default[...][...] = value`, collected into nested hashes.
  class Defaults
    def initialize
      @tree = Hash.new { |hash, key| hash[key] = Hash.new(&hash.default_proc) }
    end

    def default
      @tree
    end

    def self.load
      path = File.join(COOKBOOK, 'attributes', 'default.rb')
      defaults = new
      defaults.instance_eval(File.read(path), path)
      defaults.plain(defaults.default)
    end

    def plain(value)
      value.is_a?(Hash) ? value.to_h { |k, v| [k, plain(v)] } : value
    end
  end

  module_function

  # Leaf paths of `tree`. An empty hash is a leaf: a map attribute whose keys the user chooses.
  def leaves(tree, prefix = [])
    tree.flat_map do |key, value|
      path = prefix + [key]
      value.is_a?(Hash) && !value.empty? ? leaves(value, path) : [path]
    end
  end

  def path_name(path)
    "node#{path.map { |key| "['#{key}']" }.join}"
  end

  def group?(shape)
    shape.is_a?(Hash) && !shape.empty?
  end

  # `overrides` (from `source`) merged into a copy of `tree` as Chef merges precedence levels:
  # hashes deeply, anything else replaced. Below node['midonet_vpc'] a key default.rb does not
  # define (`shape`) is refused; map attributes (empty hashes in default.rb) take any key.
  def merge(tree, overrides, shape, source, prefix = [])
    merged = tree.dup
    overrides.each do |key, value|
      path = prefix + [key]
      unless shape.key?(key)
        raise Refused, "#{source} sets #{path_name(path)}, which attributes/default.rb does not define"
      end
      if group?(shape[key])
        raise Refused, "#{source}: #{path_name(path)} must be an object" unless value.is_a?(Hash)
        merged[key] = merge(tree[key], value, shape[key], source, path)
      else
        merged[key] = value
      end
    end
    merged
  end

  def deep_freeze(value)
    case value
    when Hash then value.each_value { |v| deep_freeze(v) }
    when Array then value.each { |v| deep_freeze(v) }
    end
    value.freeze
  end

  # The node as recipes and templates see it: reading an attribute that is not defined raises,
  # and values are frozen, as Chef's merged attributes are immutable.
  class StrictAttributes
    def initialize(tree, shape, path = [])
      @tree = tree
      @shape = shape
      @path = path
    end

    def [](key)
      key = key.to_s
      unless @tree.key?(key)
        raise KeyError, "#{Harness.path_name(@path + [key])} is not defined in attributes/default.rb"
      end
      value = @tree[key]
      shape = @shape.is_a?(Hash) ? @shape[key] : nil
      return StrictAttributes.new(value, shape, @path + [key]) if Harness.group?(shape)
      Harness.deep_freeze(value)
    end

    def to_h
      Harness.deep_freeze(@tree)
    end

    def to_a
      raise TypeError, "#{Harness.path_name(@path)} is a group of attributes, not a list"
    end
  end

  # The node for `tree` (merged attributes, Ohai's among them), shaped by default.rb.
  def node(tree, defaults)
    shape = tree.keys.to_h { |key| [key, nil] }.merge('midonet_vpc' => defaults['midonet_vpc'])
    StrictAttributes.new(deep_freeze(tree), shape)
  end

  # What a template is evaluated in: `node` and its @variables.
  class TemplateContext
    def initialize(node, variables)
      @node = node
      variables.each { |name, value| instance_variable_set("@#{name}", value) }
    end

    attr_reader :node

    def render(source, path)
      erb = ERB.new(source, trim_mode: '-')
      erb.filename = path
      erb.result(binding)
    end
  end

  # `template` (a file name in templates/default, or a path) rendered for `node` with
  # `variables`, which must be exactly the @variables it uses.
  def render(node, template, variables)
    path = File.exist?(template) ? template : File.join(TEMPLATES, template)
    raise Refused, "template #{template} does not exist" unless File.file?(path)
    source = File.read(path)
    # Instance variables inside ERB tags; `@system-service` in a unit's text is no variable.
    used = source.scan(/<%.*?%>/m).join.scan(/@(\w+)/).flatten.uniq.sort
    given = variables.keys.map(&:to_s)
    missing = used - given
    raise Refused, "#{File.basename(path)} uses @#{missing.join(', @')}: give it" unless missing.empty?
    unused = given - used
    raise Refused, "#{File.basename(path)} does not use @#{unused.join(', @')}" unless unused.empty?
    TemplateContext.new(node, variables).render(source, path)
  end

  # The cookbook's libraries, loaded as Chef loads them before any recipe or template.
  def load_libraries
    Dir[File.join(COOKBOOK, 'libraries', '*.rb')].sort.each { |library| require library }
  end
end
