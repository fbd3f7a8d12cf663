#!/usr/bin/env ruby
# Renders one of this cookbook's templates outside Chef, for the cookbook test
# (tests/tests/chef_cookbook.rs) and by hand: the node holds attributes/default.rb's values,
# overridden by --set (which may only set attributes default.rb defines), reading any attribute
# it does not define fails, and the template's @variables are exactly those given with --var.
#
#   ruby chef/test/render.rb TEMPLATE [--set JSON] [--var NAME=JSON]...   # the rendering, on stdout
#   ruby chef/test/render.rb --attributes                                 # every defined path
require_relative 'harness'

defaults = Harness::Defaults.load
if ARGV == ['--attributes']
  Harness.leaves(defaults).each { |path| puts path.join('.') }
  exit
end

template = nil
overrides = {}
variables = {}
args = ARGV.dup
until args.empty?
  arg = args.shift
  case arg
  when '--set' then overrides = JSON.parse(args.shift || abort('render: --set needs JSON'))
  when '--var'
    name, json = (args.shift || abort('render: --var needs NAME=JSON')).split('=', 2)
    variables[name] = JSON.parse(json, quirks_mode: true)
  else
    abort "render: one template only (#{template} and #{arg})" if template
    template = arg
  end
end
abort 'usage: render.rb TEMPLATE [--set JSON] [--var NAME=JSON]... | --attributes' unless template

begin
  Harness.load_libraries
  tree = Harness.merge(defaults, overrides, defaults, '--set')
  print Harness.render(Harness.node(tree, defaults), template, variables)
rescue Harness::Refused => e
  abort "render: #{e.message}"
end
